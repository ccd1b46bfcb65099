import Foundation

/// The real `switchboard` binary, started on free ports (port 0) in a data directory.
struct HubProcess {
    let process: Process
    let httpPort: Int
    let tcpPort: Int
    let mqttPort: Int
    /// What the hub logged until its listeners were bound.
    var startupLog = ""

    /// Where `swift build` put the binary: `SWITCHBOARD_BIN`, or next to the test bundle.
    static var binary: String {
        if let path = ProcessInfo.processInfo.environment["SWITCHBOARD_BIN"] { return path }
        let bundleDirectory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for candidate in [bundleDirectory, bundleDirectory.deletingLastPathComponent()] {
            let path = candidate.appendingPathComponent("switchboard").path
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
        return root.appendingPathComponent(".build/debug/switchboard").path
    }

    struct StartFailed: Error, CustomStringConvertible { let description: String }

    /// Starts the hub; `launcher` (say `["taskset", "-c", "0"]`) runs it through another program.
    static func start(dataDirectory: String, arguments: [String] = [], launcher: [String] = []) throws -> HubProcess {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: launcher.isEmpty ? Self.binary : "/usr/bin/env")
        process.arguments = (launcher.isEmpty ? [] : launcher + [Self.binary]) + ["serve", "--http", "127.0.0.1:0", "--tcp", "127.0.0.1:0", "--mqtt", "127.0.0.1:0", "--data", dataDirectory] + arguments
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        Self.leftOnExit(process)
        // The hub logs one line per listener with the address it bound.
        var http: Int?
        var tcp: Int?
        var mqtt: Int?
        var log = ""
        let deadline = Date().addingTimeInterval(20)
        let handle = errors.fileHandleForReading
        while (http == nil || tcp == nil || mqtt == nil) && Date() < deadline {
            let chunk = handle.availableData
            if chunk.isEmpty { break }
            log += String(decoding: chunk, as: UTF8.self)
            for line in log.split(separator: "\n") {
                guard let range = line.range(of: "address=127.0.0.1:") else { continue }
                let port = Int(line[range.upperBound...].prefix { $0.isNumber })
                if line.contains("HTTP/WebSocket listener bound") { http = port }
                if line.contains("TCP line listener bound") { tcp = port }
                if line.contains("MQTT listener bound") { mqtt = port }
            }
        }
        guard let http, let tcp, let mqtt else {
            process.terminate()
            throw StartFailed(description: "hub did not report its listeners:\n\(log)")
        }
        // Keep draining the log so the hub never blocks on a full pipe.
        Thread.detachNewThread {
            while !handle.availableData.isEmpty {}
        }
        return HubProcess(process: process, httpPort: http, tcpPort: tcp, mqttPort: mqtt, startupLog: log)
    }

    /// Every hub started, so that one a failed test never stopped does not outlive the test run.
    private static let started = NSLock()
    nonisolated(unsafe) private static var running: [Process] = []
    nonisolated(unsafe) private static var exitHookInstalled = false

    private static func leftOnExit(_ process: Process) {
        Self.started.lock()
        defer { Self.started.unlock() }
        if !Self.exitHookInstalled {
            Self.exitHookInstalled = true
            atexit { HubProcess.terminateLeftovers() }
        }
        Self.running.removeAll { !$0.isRunning }
        Self.running.append(process)
    }

    private static func terminateLeftovers() {
        Self.started.lock()
        defer { Self.started.unlock() }
        for process in Self.running where process.isRunning { kill(process.processIdentifier, SIGKILL) }
        Self.running.removeAll()
    }

    func kill9() {
        kill(self.process.processIdentifier, SIGKILL)
        self.process.waitUntilExit()
    }

    func terminate() {
        self.process.terminate()
        self.process.waitUntilExit()
    }
}
