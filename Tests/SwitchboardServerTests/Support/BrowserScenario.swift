import Foundation
import Synchronization
import Testing

/// A browser scenario: a Python script in `Tests/Browser/` driving headless
/// Chromium with Selenium against a hub this test started.
///
/// The script prints `STEP <name>` when the test must act (restart the hub,
/// run the CLI) and waits for `DONE <name>`; it ends with `RESULT <json>`
/// (exit 0) or `FAIL <reason>` (exit 1).
final class BrowserScenario: Sendable {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Browser")
    static let repository = directory.deletingLastPathComponent().deletingLastPathComponent()

    /// What the browser tests need and this machine lacks.
    static let missing: [String] = {
        var missing: [String] = []
        if !["chromium", "chromium-browser", "google-chrome"].contains(where: onPath) { missing.append("chromium") }
        if !onPath("chromedriver") { missing.append("chromedriver (Debian: chromium-driver)") }
        if !onPath("python3") || run(["python3", "-c", "import selenium"]) != 0 { missing.append("the Python package selenium") }
        return missing
    }()

    static var isCI: Bool { ProcessInfo.processInfo.environment["CI"] == "true" }

    /// Outside CI a machine without a browser skips these tests; under CI they run, and fail.
    static var enabled: Bool { missing.isEmpty || isCI }

    /// Records a failure (CI without the tools) and says whether the scenario can run.
    static func toolsPresent() -> Bool {
        guard missing.isEmpty else {
            Issue.record("CI=true but the browser tests cannot run: missing \(missing.joined(separator: ", ")); scripts/test installs them")
            return false
        }
        return true
    }

    private static func onPath(_ name: String) -> Bool {
        (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":").contains {
            FileManager.default.isExecutableFile(atPath: "\($0)/\(name)")
        }
    }

    private static func run(_ arguments: [String]) -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return -1 }
        process.waitUntilExit()
        return process.terminationStatus
    }

    struct Failed: Error, CustomStringConvertible { let description: String }

    private let process: Process
    private let input: FileHandle
    /// What the script printed, shared with the threads that read its pipes.
    final class Output: Sendable {
        let state = Mutex<(lines: [String], errors: String, closed: Bool)>(([], "", false))
        func withLock<T>(_ body: (inout (lines: [String], errors: String, closed: Bool)) -> T) -> T { self.state.withLock { body(&$0) } }
    }

    private let output = Output()

    init(_ script: String, _ arguments: [String]) throws {
        self.process = Process()
        self.process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        self.process.arguments = ["python3", "-u", Self.directory.appendingPathComponent(script).path] + arguments
        self.process.currentDirectoryURL = Self.directory
        let stdout = Pipe()
        let stderr = Pipe()
        let stdin = Pipe()
        self.process.standardOutput = stdout
        self.process.standardError = stderr
        self.process.standardInput = stdin
        self.input = stdin.fileHandleForWriting
        try self.process.run()
        let output = self.output
        Thread.detachNewThread {
            var pending = ""
            while true {
                let chunk = stdout.fileHandleForReading.availableData
                if chunk.isEmpty { break }
                pending += String(decoding: chunk, as: UTF8.self)
                while let newline = pending.firstIndex(of: "\n") {
                    let line = String(pending[..<newline])
                    pending.removeSubrange(...newline)
                    output.withLock { $0.lines.append(line) }
                }
            }
            output.withLock { $0.closed = true }
        }
        Thread.detachNewThread {
            while true {
                let chunk = stderr.fileHandleForReading.availableData
                if chunk.isEmpty { break }
                output.withLock { $0.errors += String(decoding: chunk, as: UTF8.self) }
            }
        }
    }

    private func transcript() -> String {
        self.output.withLock { "stdout:\n\($0.lines.joined(separator: "\n"))\nstderr:\n\($0.errors.suffix(4000))" }
    }

    /// Waits until the script asks for `name` (or fails, or ends).
    func waitForStep(_ name: String, timeout: Duration = .seconds(120)) async throws {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            let (lines, closed) = self.output.withLock { ($0.lines, $0.closed) }
            if lines.contains("STEP \(name)") { return }
            if closed || lines.contains(where: { $0.hasPrefix("FAIL ") }) {
                throw Failed(description: "scenario ended before STEP \(name)\n\(self.transcript())")
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        self.process.terminate()
        throw Failed(description: "no STEP \(name) within \(timeout)\n\(self.transcript())")
    }

    func done(_ name: String) {
        self.input.write(Data("DONE \(name)\n".utf8))
    }

    /// Waits for the script to end; returns its RESULT, or throws with what it printed.
    func result(timeout: Duration = .seconds(180)) async throws -> [String: Any] {
        let deadline = ContinuousClock.now + timeout
        while self.process.isRunning {
            guard ContinuousClock.now < deadline else {
                self.process.terminate()
                throw Failed(description: "scenario still running after \(timeout)\n\(self.transcript())")
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        // The reader thread may still be handing over the last lines.
        while !self.output.withLock({ $0.closed }) { try await Task.sleep(for: .milliseconds(10)) }
        let lines = self.output.withLock { $0.lines }
        guard self.process.terminationStatus == 0, let line = lines.last(where: { $0.hasPrefix("RESULT ") }),
            let json = try JSONSerialization.jsonObject(with: Data(line.dropFirst(7).utf8)) as? [String: Any]
        else {
            throw Failed(description: "scenario failed (exit \(self.process.terminationStatus))\n\(self.transcript())")
        }
        return json
    }
}
