import Foundation

/// An external program (mosquitto_sub, python3 with paho-mqtt) run by a test:
/// its stdout read line by line as it comes, its stderr kept for failure messages.
final class ToolProcess: @unchecked Sendable {
    let process = Process()
    private let lock = NSLock()
    private var lines: [String] = []
    private var partial = ""
    private var errors = ""
    /// Set when stdout reached its end: every line the program printed has been read.
    private var outputEnded = false

    /// Starts `arguments[0]` (looked up on the PATH) with the rest as its arguments.
    init(_ arguments: [String]) throws {
        self.process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        self.process.arguments = arguments
        let output = Pipe()
        let errors = Pipe()
        self.process.standardOutput = output
        self.process.standardError = errors
        self.process.standardInput = FileHandle.nullDevice
        // One thread reads stdout in order until its end (readability handlers may run out of order).
        let reader = output.fileHandleForReading
        Thread.detachNewThread { [self] in
            while true {
                let data = reader.availableData
                if data.isEmpty { break }
                let text = String(decoding: data, as: UTF8.self)
                self.lock.withLock {
                    self.partial += text
                    while let newline = self.partial.firstIndex(of: "\n") {
                        self.lines.append(String(self.partial[..<newline]))
                        self.partial = String(self.partial[self.partial.index(after: newline)...])
                    }
                }
            }
            self.lock.withLock { self.outputEnded = true }
        }
        errors.fileHandleForReading.readabilityHandler = { [self] handle in
            let text = String(decoding: handle.availableData, as: UTF8.self)
            self.lock.withLock { self.errors += text }
        }
        try self.process.run()
    }

    var output: [String] { self.lock.withLock { self.lines } }
    var errorOutput: String { self.lock.withLock { self.errors } }

    /// Waits until stdout has at least `count` lines; returns them all. Throws after `timeout`.
    @discardableResult
    func waitForLines(_ count: Int, timeout: Duration = .seconds(15)) async throws -> [String] {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            let lines = self.output
            if lines.count >= count { return lines }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw TestWebSocket.TimedOut(description: "\(self.process.arguments ?? []): \(self.output.count) of \(count) lines: \(self.output); stderr: \(self.errorOutput)")
    }

    /// Waits until a line satisfies `predicate`.
    func waitForLine(timeout: Duration = .seconds(15), where predicate: (String) -> Bool) async throws {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if self.output.contains(where: predicate) { return }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw TestWebSocket.TimedOut(description: "\(self.process.arguments ?? []): no matching line in \(self.output); stderr: \(self.errorOutput)")
    }

    /// Waits for the program to exit by itself; returns its status. Kills it after `timeout`.
    func waitForExit(timeout: Duration = .seconds(20)) async -> Int32 {
        let deadline = ContinuousClock.now + timeout
        while self.process.isRunning && ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(20))
        }
        if self.process.isRunning { self.kill() }
        self.process.waitUntilExit()
        // The process may end before its last lines are read: wait (bounded) for the end of its output.
        let outputDeadline = ContinuousClock.now + .seconds(5)
        while !self.lock.withLock({ self.outputEnded }) && ContinuousClock.now < outputDeadline {
            try? await Task.sleep(for: .milliseconds(10))
        }
        return self.process.terminationStatus
    }

    /// SIGKILL: the program vanishes without closing anything politely.
    func kill() {
        if self.process.isRunning { Foundation.kill(self.process.processIdentifier, SIGKILL) }
        self.process.waitUntilExit()
    }

    /// Runs a program to its end and returns its stdout lines and status.
    static func run(_ arguments: [String], timeout: Duration = .seconds(20)) async throws -> (lines: [String], status: Int32, stderr: String) {
        let tool = try ToolProcess(arguments)
        let status = await tool.waitForExit(timeout: timeout)
        try await Task.sleep(for: .milliseconds(50))  // the last output may still be in the pipe handler
        return (tool.output, status, tool.errorOutput)
    }
}
