import Dispatch
import Foundation
import Logging
import Synchronization

/// A started `Process`, shareable with the cancellation handler that terminates it.
final class RunningProcess: @unchecked Sendable {
    // Process is not Sendable; only isRunning, terminate and waitUntilExit are used across threads, which Foundation allows.
    let process: Process

    init(_ process: Process) { self.process = process }

    /// How long a program may take to exit after SIGTERM before it gets SIGKILL.
    static let grace: TimeInterval = 2

    /// Starts the program with no signals blocked. The spawning thread's signal mask is inherited
    /// (the hub's threads block SIGTERM), and a program that cannot see SIGTERM cannot stop cleanly.
    func run() throws {
        var empty = sigset_t()
        var previous = sigset_t()
        sigemptyset(&empty)
        pthread_sigmask(SIG_SETMASK, &empty, &previous)
        defer { pthread_sigmask(SIG_SETMASK, &previous, nil) }
        try self.process.run()
    }

    /// SIGTERM now, SIGKILL if it is still running ``grace`` seconds later.
    func terminate() {
        guard self.process.isRunning else { return }
        let pid = self.process.processIdentifier
        kill(pid, SIGTERM)
        DispatchQueue.global().asyncAfter(deadline: .now() + Self.grace) {
            if self.process.isRunning { kill(pid, SIGKILL) }
        }
    }

    /// Returns once the program has exited (without blocking a task's thread).
    func exited() async {
        await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                self.process.waitUntilExit()
                continuation.resume()
            }
        }
    }

    /// Why it ended, in words: `exited with status 3` or `killed by signal 9`.
    func waitForExit() -> String {
        self.process.waitUntilExit()
        switch self.process.terminationReason {
        case .uncaughtSignal: return "killed by signal \(self.process.terminationStatus)"
        default: return "exited with status \(self.process.terminationStatus)"
        }
    }
}

/// Reads a program's stdout and stderr on two threads (pipes block): stdout lines become
/// ``events`` in order, then the exit; stderr lines go to the log.
///
/// At most ``window`` lines wait unconsumed: the reader then stops reading, the pipe fills and the
/// program blocks on its writes, so a chatty program is slowed to what the hub commits instead of
/// filling memory.
final class ProcessOutput: Sendable {
    enum Event: Sendable {
        case line(String)
        case exited(String)
    }

    static let window = 256

    let events: AsyncStream<Event>
    private let continuation: AsyncStream<Event>.Continuation
    /// Starts at 0 and is given its credits in `init`: libdispatch traps when a semaphore is
    /// freed holding less than its initial value, which is how a cancelled reader leaves it.
    private let credits = DispatchSemaphore(value: 0)
    private let cancelled = Atomic<Bool>(false)

    init(stdout: FileHandle, stderr: FileHandle, process: RunningProcess, context: SourceContext) {
        (self.events, self.continuation) = AsyncStream.makeStream(of: Event.self)
        for _ in 0..<Self.window { self.credits.signal() }
        let logger = context.logger
        let name = context.name
        Thread.detachNewThread { [self] in
            Self.readLines(stdout, maxLineBytes: ExecSource.maxLineBytes) { line in
                self.yield(.line(line))
            } tooLong: {
                logger.error("exec source printed a line over the limit; skipped", metadata: ["source": "\(name)"])
            }
            let reason = process.waitForExit()
            self.continuation.yield(.exited(reason))
            self.continuation.finish()
        }
        Thread.detachNewThread {
            Self.readLines(stderr, maxLineBytes: ExecSource.maxLineBytes) { line in
                logger.info("exec source stderr", metadata: ["source": "\(name)", "line": "\(line)"])
                return true
            } tooLong: {
            }
        }
    }

    /// One line was handled: room for another.
    func consumed() { self.credits.signal() }

    /// The consumer is gone: stop waiting for room.
    func cancel() {
        self.cancelled.store(true, ordering: .relaxed)
        self.continuation.finish()
    }

    /// Waits for room (or cancellation), then hands the line on; `false` once cancelled.
    private func yield(_ event: Event) -> Bool {
        while self.credits.wait(timeout: .now() + .milliseconds(200)) == .timedOut {
            if self.cancelled.load(ordering: .relaxed) { return false }
        }
        self.continuation.yield(event)
        return !self.cancelled.load(ordering: .relaxed)
    }

    /// Reads `handle` to its end, calling `line` per `\n`-terminated line (and a last unterminated one).
    static func readLines(_ handle: FileHandle, maxLineBytes: Int, line: (String) -> Bool, tooLong: () -> Void) {
        var pending = Data()
        var discarding = false
        var reading = true
        while reading {
            let chunk = handle.availableData
            if chunk.isEmpty { break }
            pending.append(chunk)
            while let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
                var bytes = pending[pending.startIndex..<newline]
                pending.removeSubrange(pending.startIndex...newline)
                if discarding {
                    discarding = false
                    continue
                }
                if bytes.last == UInt8(ascii: "\r") { bytes = bytes.dropLast() }
                if !line(String(decoding: bytes, as: UTF8.self)) {
                    reading = false
                    break
                }
            }
            if pending.count > maxLineBytes {
                pending.removeAll()
                if !discarding { tooLong() }
                discarding = true
            }
        }
        if reading, !discarding, !pending.isEmpty { _ = line(String(decoding: pending, as: UTF8.self)) }
        try? handle.close()
    }
}
