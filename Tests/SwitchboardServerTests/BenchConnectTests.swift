import NIOCore
import SwitchboardServer
import Testing

@testable import SwitchboardBench

/// `bench connect` against a real hub: its own handshake must really upgrade, hold and close
/// every connection, and say clearly when the server refuses.
@Suite struct BenchConnectTests {
    static func run(_ url: String, connections: Int) async throws -> ConnectResult {
        try await ConnectRun(
            url: NumberedWebSocketURL(url), connections: connections, concurrency: 16, sourceAddresses: 4, connectTimeout: 5,
            maxFailures: 3, closeTimeout: 5, serverPID: nil
        ).run()
    }

    @Test func opensHoldsAndClosesEveryConnection() async throws {
        try await TestHub.with { hub in
            let ws = "ws://127.0.0.1:\(hub.httpPort)"
            let result = try await Self.run("\(ws)/ws/sub/bench/{n}?format=data", connections: 300)
            #expect(result.passed, "\(result.firstFailure ?? result.failure ?? "")")
            #expect(result.opened == 300 && result.failed == 0 && result.closedByServer == 0)
            #expect(result.closing == 300 && result.closeForced == 0, "every connection ends with a close handshake")
        }
    }

    @Test func connectionsTheServerClosedAreCountedAndClosingThemEndsNormally() async throws {
        // The hub upgrades, then closes what is over its limit: those count as closed by the server, and
        // closing them all afterwards neither fails nor waits out the grace for an answer.
        try await TestHub.with(configure: { $0.limits.maxConnections = 5 }) { hub in
            let url = try WebSocketURL("ws://127.0.0.1:\(hub.httpPort)/ws/sub/bench/full?format=data")
            let connector = try PlainSocketConnector(address: try url.authority.resolve(), sourceAddresses: 0, timeout: 5)
            let request = UpgradeHandshake.request(for: url)
            let opened = connector.openAll(count: 20, concurrency: 4, maxFailures: 20) { _ in request }
            #expect(opened.sockets.count == 20 && opened.failed == 0, "\(opened.firstFailure ?? "")")
            var closedByServer = 0
            for _ in 0..<100 where closedByServer < 15 {
                try await Task.sleep(for: .milliseconds(50))
                closedByServer = connector.closedByServer(opened.sockets)
            }
            #expect(closedByServer == 15)
            let closed = connector.closeAll(opened.sockets, grace: 5)
            #expect(closed.closing == 20 && closed.forced == 0)
        }
    }

    @Test func aRefusedUpgradeIsReportedWithTheServersAnswer() async throws {
        try await TestHub.with { hub in
            let result = try await Self.run("ws://127.0.0.1:\(hub.httpPort)/not-a-websocket", connections: 10)
            #expect(!result.passed)
            #expect(result.opened == 0 && result.failed == 10)
            #expect(result.firstFailure?.contains("HTTP/1.1 400") == true, "\(result.firstFailure ?? "")")
        }
    }
}
