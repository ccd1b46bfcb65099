import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import SwitchboardCore
import Testing

@testable import SwitchboardServer

/// Publish rate limits and the `$sys/stats` view of what was refused or dropped.
@Suite struct LimitsTests {
    @Test func floodsOverThePublishRateAreRefusedWithoutHandingOutSeqs() async throws {
        try await TestHub.with(configure: {
            $0.limits.publishRatePerConnection = 5
            $0.statsIntervalMs = 200
        }) { hub in
            let client = try await hub.webSocket("/ws")
            for id in 1...40 { try await client.send(json: ["op": "pub", "id": id, "topic": "flood/ws", "data": id]) }
            var acked: [Int64] = [], limited = 0
            for _ in 1...40 {
                let answer = try await client.nextJSON()
                if answer["op"] as? String == "ok", let seq = answer["seq"] as? Int { acked.append(Int64(seq)) }
                if (answer["error"] as? [String: Any])?["code"] as? String == "rate_limited" { limited += 1 }
            }
            #expect(acked.count + limited == 40, "every publish is answered")
            #expect(limited > 0 && acked.count >= 5, "acked \(acked.count), limited \(limited)")
            #expect(acked == Array(1...Int64(acked.count)), "seqs stay gap-free: refused publishes get none")

            // The same over TCP, with the line's id in the error.
            let device = try await TestTCPClient(port: hub.tcpPort)
            for id in 1...30 { try await device.send(#"{"topic":"flood/tcp","data":\#(id),"id":\#(id)}"#) }
            var tcpLimited = 0
            for _ in 1...30 {
                let answer = try await device.nextJSON()
                if (answer["error"] as? [String: Any])?["code"] as? String == "rate_limited" { tcpLimited += 1 }
            }
            #expect(tcpLimited > 0)

            // $sys/stats counts the refusals by reason.
            let stats = try await hub.webSocket("/ws/sub/$sys/stats")
            var seen: [String: Any] = [:]
            for _ in 0..<20 {
                let message = try await stats.nextJSON()
                seen = message["data"] as? [String: Any] ?? [:]
                if ((seen["rejected"] as? [String: Any])?["rate_limited"] as? Int ?? 0) >= limited + tcpLimited { break }
            }
            #expect(((seen["rejected"] as? [String: Any])?["rate_limited"] as? Int ?? 0) >= limited + tcpLimited, "\(seen)")
            #expect(((seen["connections"] as? [String: Any])?["ws"] as? Int ?? 0) >= 1)
            #expect((seen["committed"] as? Int ?? 0) >= acked.count)
            await stats.close()
            await client.close()
            await device.close()
        }
    }

    @Test func refusedConnectionsLeaveTheConnectionGaugesAtZero() async throws {
        // A hub process of its own: the gauges are process-wide.
        let directory = TestFiles.temporaryDirectory()
        let config = directory + "/switchboard.yaml"
        try "max_connections: 2\n".write(toFile: config, atomically: true, encoding: .utf8)
        let hub = try HubProcess.start(dataDirectory: directory, arguments: ["--config", config])
        defer { hub.terminate() }
        let held = [try await TestWebSocket.connect(port: hub.httpPort, path: "/ws"), try await TestWebSocket.connect(port: hub.httpPort, path: "/ws")]
        for _ in 0..<3 {
            let refused = try await TestWebSocket.connect(port: hub.httpPort, path: "/ws")
            #expect(try await SecurityTests.closeCode(refused) == 1013)
        }
        for _ in 0..<2 {
            let refused = try await TestTCPClient(port: hub.tcpPort)
            #expect(((try await refused.nextJSON()["error"]) as? [String: Any])?["code"] as? String == "limit_exceeded")
            #expect(try await refused.nextLine() == nil)
        }
        for socket in held { await socket.close() }
        // Polled, bounded: the hub sees the closes a moment later.
        var gauges: [String] = []
        for _ in 0..<100 {
            let metrics = try await TestHTTP.get("http://127.0.0.1:\(hub.httpPort)/metrics").text
            gauges = metrics.split(separator: "\n").map(String.init).filter {
                $0.hasPrefix("switchboard_websocket_connections ") || $0.hasPrefix("switchboard_tcp_connections ")
            }
            if gauges.count == 2, gauges.allSatisfy({ $0.hasSuffix(" 0") || $0.hasSuffix(" 0.0") }) { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        #expect(gauges.count == 2 && gauges.allSatisfy { $0.hasSuffix(" 0") || $0.hasSuffix(" 0.0") }, "\(gauges)")
    }

    @Test func connectionsPerAddressAreLimited() async throws {
        try await TestHub.with(configure: { $0.limits.maxConnectionsPerAddress = 3 }) { hub in
            var open: [TestWebSocket] = []
            for _ in 0..<3 { open.append(try await hub.webSocket("/ws")) }
            let fourth = try await hub.webSocket("/ws")
            let refusal = try await fourth.nextJSON()
            #expect((refusal["error"] as? [String: Any])?["code"] as? String == "limit_exceeded", "\(refusal)")
            #expect(try await SecurityTests.closeCode(fourth) == 1013)
            let tcp = try await TestTCPClient(port: hub.tcpPort)
            #expect(((try await tcp.nextJSON()["error"]) as? [String: Any])?["code"] as? String == "limit_exceeded")
            // A slot frees when a connection closes (polled, bounded).
            await open.removeLast().close()
            var admitted = false
            for _ in 0..<50 where !admitted {
                let next = try await hub.webSocket("/ws")
                try await next.send(json: ["op": "call", "id": 1, "method": "time"])
                admitted = (try? await next.nextJSON(timeout: .seconds(2)))?["op"] as? String == "result"
                await next.close()
                if !admitted { try await Task.sleep(for: .milliseconds(100)) }
            }
            #expect(admitted)
            for socket in open { await socket.close() }
        }
    }

    @Test func silentWebSocketPeersAreClosedAfterAnUnansweredPing() async throws {
        try await TestHub.with(configure: { $0.limits.webSocketPingIntervalSeconds = 1 }) { hub in
            let answering = try await hub.webSocket("/ws")
            // A peer that upgrades and then never sends a byte, not even a pong.
            let collector = RawConnection.ByteCollector()
            let silent = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .channelInitializer { channel in channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(collector) } }
                .connect(host: "127.0.0.1", port: hub.httpPort).get()
            try await silent.writeAndFlush(
                ByteBuffer(
                    string: "GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                        + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"))
            let guardrail = silent.eventLoop.scheduleTask(in: .seconds(20)) { silent.close(promise: nil) }
            try await silent.closeFuture.get()
            guardrail.cancel()
            let bytes = collector.received.withLockedValue { $0 }
            let afterHandshake = bytes.split(separator: 0x0A).last.map(Array.init) ?? []
            #expect(afterHandshake.first == 0x89, "a ping came first")
            #expect(bytes.contains(0x88), "then a close frame, before the hub dropped the connection")
            // A peer that answers pings (as every RFC 6455 client does) stays.
            try await Task.sleep(for: .seconds(2.5))
            try await answering.send(json: ["op": "call", "id": 1, "method": "time"])
            #expect(try await answering.nextJSON()["op"] as? String == "result")
            await answering.close()
        }
    }
}
