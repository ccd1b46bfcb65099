import Foundation
import Logging
import SwitchboardCore

/// `exec`: runs an external program; each line it prints on stdout is a message (see ``SourceLine``),
/// each stderr line goes to the log. When the program ends it is `failed` with its exit status and is
/// started again after a back-off (0.5 s doubling to 30 s, reset after a minute up). Off unless the
/// hub allows it (`allow_exec: true` / `--allow-exec`).
///
/// Params: `command` — a string run by `/bin/sh -c`, or an array `[program, arg, …]` run directly;
/// `cwd` (default the hub's); `env` (an object of extra variables); `backoff_ms` (first delay, default 500);
/// `max_backoff_ms` (default 30000). The program also gets `SWITCHBOARD_SOURCE` and `SWITCHBOARD_TOPIC`.
struct ExecSource: SourceDriver {
    let executable: String
    let arguments: [String]
    let directory: String?
    let environment: [String: String]
    let backoff: Backoff

    /// Longest stdout line taken; a longer one is logged and dropped.
    static let maxLineBytes = 1 << 20

    init(params: JSONValue) throws(HubError) {
        var params = try SourceParams(params, kind: "exec")
        let hint = "a shell command string, or an array [program, arg, …]"
        switch params.raw("command") {
        case .string(let command) where !command.trimmingCharacters(in: .whitespaces).isEmpty:
            self.executable = "/bin/sh"
            self.arguments = ["-c", command]
        case .array(let items) where !items.isEmpty:
            let words = items.compactMap(\.stringValue)
            guard words.count == items.count, let program = words.first, !program.isEmpty else {
                throw .badRequest("exec param 'command' must be \(hint); every element must be a string")
            }
            self.executable = program
            self.arguments = Array(words.dropFirst())
        case nil:
            throw .badRequest("exec param 'command' is required: \(hint)")
        default:
            throw .badRequest("exec param 'command' must be \(hint)")
        }
        self.directory = try params.string("cwd")
        var environment: [String: String] = [:]
        if let env = params.raw("env") {
            guard let members = env.objectValue else { throw .badRequest("exec param 'env' must be an object of strings") }
            for (key, value) in members {
                guard let text = value.stringValue else { throw .badRequest("exec param 'env': '\(key)' must be a string") }
                environment[key] = text
            }
        }
        self.environment = environment
        let initial = try params.optionalInteger("backoff_ms", in: 10...60_000) ?? 500
        let maximum = try params.optionalInteger("max_backoff_ms", in: initial...3_600_000) ?? max(30_000, initial)
        self.backoff = Backoff(initial: .milliseconds(initial), maximum: .milliseconds(maximum))
        try params.rejectUnknown()
        if self.executable.hasPrefix("/") && !FileManager.default.isExecutableFile(atPath: self.executable) {
            throw .badRequest("exec param 'command': \(self.executable) is not an executable file")
        }
    }

    func descriptor(title: String) -> JSONValue? { nil }

    func run(_ context: SourceContext) async {
        var backoff = self.backoff
        var restarting = false
        while !Task.isCancelled {
            let started = ContinuousClock.Instant.now
            let reason: String
            switch await self.runOnce(context, restarting: restarting) {
            case .cancelled: return
            case .ended(let why): reason = why
            }
            context.report(.failed(reason))
            let delay = backoff.next(afterRunning: .now - started)
            context.logger.warning(
                "exec source ended; restarting after back-off",
                metadata: ["source": "\(context.name)", "reason": "\(reason)", "delay": "\(delay)"]
            )
            do { try await Task.sleep(for: delay) } catch { return }
            restarting = true
        }
    }

    enum Outcome {
        case cancelled
        case ended(String)
    }

    /// One run of the program, until it exits or the task is cancelled (then it is terminated).
    func runOnce(_ context: SourceContext, restarting: Bool) async -> Outcome {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: self.executable.hasPrefix("/") ? self.executable : "/usr/bin/env")
        process.arguments = self.executable.hasPrefix("/") ? self.arguments : [self.executable] + self.arguments
        if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
        var environment = ProcessInfo.processInfo.environment
        environment.merge(self.environment) { $1 }
        environment["SWITCHBOARD_SOURCE"] = context.name
        environment["SWITCHBOARD_TOPIC"] = context.topic.name
        process.environment = environment
        let stdout = Pipe()
        let stderr = Pipe()
        process.standardOutput = stdout
        process.standardError = stderr
        process.standardInput = FileHandle.nullDevice
        let running = RunningProcess(process)
        do {
            try running.run()
        } catch {
            return .ended("cannot start \(self.executable): \(error.localizedDescription)")
        }
        if restarting { context.report(.running) }
        let output = ProcessOutput(stdout: stdout.fileHandleForReading, stderr: stderr.fileHandleForReading, process: running, context: context)
        let outcome = await withTaskCancellationHandler {
            for await event in output.events {
                switch event {
                case .line(let line):
                    await self.ingest(line, context: context)
                    output.consumed()
                case .exited(let reason):
                    return Outcome.ended(reason)
                }
            }
            return Outcome.cancelled
        } onCancel: {
            running.terminate()
            output.cancel()
        }
        // Stopped: the program is gone before the source says `stopped`, so nothing it printed comes later.
        if case .cancelled = outcome { await running.exited() }
        return outcome
    }

    func ingest(_ line: String, context: SourceContext) async {
        guard !line.trimmingCharacters(in: .whitespaces).isEmpty else { return }
        do {
            let parsed = try SourceLine(line, allowBase64: false)
            await context.publish(buffer: parsed.data, to: parsed.topic)
        } catch {
            context.logger.error(
                "exec source printed a line that is not a message; skipped",
                metadata: ["source": "\(context.name)", "error.type": "\(error.code)", "error.message": "\(error.message)"]
            )
        }
    }
}
