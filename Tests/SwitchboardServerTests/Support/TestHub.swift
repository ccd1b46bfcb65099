import Foundation
import Logging
import ServiceLifecycle
import SwitchboardCore
@testable import SwitchboardServer

/// A real hub, in process, on free loopback ports, with its own data directory.
struct TestHub {
    let app: SwitchboardApp
    let httpPort: Int
    let tcpPort: Int
    let mqttPort: Int
    let dataDirectory: String

    var http: String { "http://127.0.0.1:\(self.httpPort)" }
    var hub: Hub { self.app.hub }

    /// Runs `body` against a fresh hub, then shuts the hub down gracefully.
    static func with<T>(
        configure: (inout SwitchboardConfiguration) -> Void = { _ in },
        dataDirectory: String? = nil,
        _ body: (TestHub) async throws -> T
    ) async throws -> T {
        let directory = dataDirectory ?? TestFiles.temporaryDirectory()
        var configuration = SwitchboardConfiguration()
        configuration.http = HostPort(host: "127.0.0.1", port: 0)
        configuration.tcp = HostPort(host: "127.0.0.1", port: 0)
        configuration.mqtt = HostPort(host: "127.0.0.1", port: 0)
        configuration.dataDirectory = directory
        configure(&configuration)
        var logger = Logger(label: "test-hub")
        logger.logLevel = ProcessInfo.processInfo.environment["SWITCHBOARD_TEST_LOG"].flatMap(Logger.Level.init(rawValue:)) ?? .warning
        let app = try SwitchboardApp(configuration: configuration, logger: logger)
        let group = ServiceGroup(configuration: .init(services: [.init(service: app)], logger: logger))
        return try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            let listening = await app.listening()
            let testHub = TestHub(
                app: app, httpPort: listening.httpPort, tcpPort: listening.tcpPort ?? 0, mqttPort: listening.mqttPort ?? 0, dataDirectory: directory)
            do {
                let result = try await body(testHub)
                await group.triggerGracefulShutdown()
                try await tasks.waitForAll()
                return result
            } catch {
                await group.triggerGracefulShutdown()
                try? await tasks.waitForAll()
                throw error
            }
        }
    }

    /// Connects a WebSocket client to `path` on this hub.
    func webSocket(_ path: String, receiveBuffer: Int? = nil) async throws -> TestWebSocket {
        try await TestWebSocket.connect(port: self.httpPort, path: path, receiveBuffer: receiveBuffer)
    }
}

enum TestFiles {
    static func temporaryDirectory() -> String {
        let path = NSTemporaryDirectory() + "switchboard-test-" + UUID().uuidString
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }
}
