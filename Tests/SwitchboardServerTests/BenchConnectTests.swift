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

    @Test func aRefusedUpgradeIsReportedWithTheServersAnswer() async throws {
        try await TestHub.with { hub in
            let result = try await Self.run("ws://127.0.0.1:\(hub.httpPort)/not-a-websocket", connections: 10)
            #expect(!result.passed)
            #expect(result.opened == 0 && result.failed == 10)
            #expect(result.firstFailure?.contains("HTTP/1.1 400") == true, "\(result.firstFailure ?? "")")
        }
    }
}
