import Foundation
import NIOCore
import NIOPosix
import Testing

/// Clients that misbehave on purpose, against the real binary: the hub keeps
/// answering a well-behaved client throughout, and gives the memory back after.
@Suite struct HostileClientTests {
    /// The round trip a well-behaved client may see while the attacks run. Generous, because the
    /// attackers share this machine's two cores with the hub, the test itself and, under
    /// `scripts/test`, every other suite running in parallel (alone it is well under 1 s).
    static let roundTripBound = Duration.seconds(5)

    @Test func theHubStaysResponsiveUnderAbuseAndGivesTheMemoryBack() async throws {
        let directory = TestFiles.temporaryDirectory()
        try "publish_rate: 200\n".write(toFile: directory + "/hub.yaml", atomically: true, encoding: .utf8)
        let hub = try HubProcess.start(dataDirectory: directory, arguments: ["--config", directory + "/hub.yaml"])
        defer { hub.terminate() }
        let pid = hub.process.processIdentifier
        let port = hub.httpPort

        // Warm up the paths the attacks use, then take the baseline.
        let probe = try await TestWebSocket.connect(port: port, path: "/ws")
        _ = try await Self.roundTrip(probe, id: 0)
        let before = try Self.residentKiB(pid)

        let worst = try await withThrowingTaskGroup(of: Duration?.self) { group in
            group.addTask {
                // The well-behaved client: a `time` call every 50 ms while the attacks run.
                var worst = Duration.zero
                for id in 1...120 {
                    worst = max(worst, try await Self.roundTrip(probe, id: id))
                    try await Task.sleep(for: .milliseconds(50))
                }
                return worst
            }
            group.addTask { try await Self.openAndDrop(port: port, count: 3000); return nil }
            group.addTask { try await Self.halfOpenAndSlowloris(port: port, count: 300); return nil }
            group.addTask { try await Self.oversizedFrames(port: port, count: 50); return nil }
            group.addTask { try await Self.floods(port: port, clients: 4, messages: 2000); return nil }
            var worst = Duration.zero
            for try await result in group { if let result { worst = result } }
            return worst
        }
        FileHandle.standardError.write(Data("hostile-client figures: worst round trip \(worst)\n".utf8))
        #expect(worst < Self.roundTripBound, "worst round trip of the well-behaved client: \(worst)")
        #expect(try await Self.roundTrip(probe, id: 999) < Self.roundTripBound, "and it still works afterwards")

        // Memory comes back once the attackers are gone (connections, queues, buffers freed). Polled, bounded.
        var after = try Self.residentKiB(pid)
        for _ in 0..<40 where after > before + 40 * 1024 {
            try await Task.sleep(for: .milliseconds(250))
            after = try Self.residentKiB(pid)
        }
        FileHandle.standardError.write(Data("hostile-client figures: RSS before \(before) KiB, after \(after) KiB\n".utf8))
        #expect(after <= before + 40 * 1024, "RSS before \(before) KiB, after \(after) KiB")
        await probe.close()
    }

    static func roundTrip(_ socket: TestWebSocket, id: Int) async throws -> Duration {
        let clock = ContinuousClock()
        let start = clock.now
        try await socket.send(json: ["op": "call", "id": id, "method": "time"])
        while true {
            let answer = try await socket.nextJSON(timeout: .seconds(10))
            if answer["id"] as? Int == id { return clock.now - start }
        }
    }

    static func residentKiB(_ pid: Int32) throws -> Int {
        let status = try String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)
        let line = status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") } ?? ""
        return Int(line.split(separator: " ").dropFirst().first ?? "0") ?? 0
    }

    static func connect(_ port: Int) async throws -> any Channel {
        try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelOption(.socketOption(.so_reuseaddr), value: 1)
            .connect(host: "127.0.0.1", port: port).get()
    }

    /// Thousands of connections opened and dropped at once, 50 at a time.
    static func openAndDrop(port: Int, count: Int) async throws {
        for _ in 0..<(count / 50) {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<50 {
                    group.addTask { try? await Self.connect(port).close() }
                }
                try await group.waitForAll()
            }
        }
    }

    /// Half an upgrade request, then a header byte every 100 ms (slowloris), for 3 s; then gone.
    static func halfOpenAndSlowloris(port: Int, count: Int) async throws {
        var channels: [any Channel] = []
        for index in 0..<count {
            guard let channel = try? await Self.connect(port) else { continue }
            let head = index % 2 == 0 ? "GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n" : "GET /api/v1/topics HTTP/1.1\r\n"
            channel.writeAndFlush(ByteBuffer(string: head), promise: nil)
            channels.append(channel)
        }
        for _ in 0..<30 {
            for channel in channels { channel.writeAndFlush(ByteBuffer(string: "X"), promise: nil) }
            try await Task.sleep(for: .milliseconds(100))
        }
        for channel in channels { try? await channel.close() }
    }

    /// WebSocket frames that announce 100 MB, sent right behind the upgrade request over a
    /// raw socket: the hub closes those connections (1009) without reading 100 MB.
    static func oversizedFrames(port: Int, count: Int) async throws {
        for _ in 0..<count {
            let channel = try await Self.connect(port)
            var bytes = ByteBuffer(
                string: "GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                    + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
            bytes.writeBytes([0x81, 0xFF])  // text, masked, 64-bit length
            bytes.writeInteger(UInt64(100 * 1024 * 1024))
            bytes.writeBytes([1, 2, 3, 4] + [UInt8](repeating: 0x41, count: 1024))
            try await channel.writeAndFlush(bytes)
            // Closed by the hub; a hub that waited for the 100 MB would hold it open, and the timeout closes it here.
            let closed = channel.eventLoop.scheduleTask(in: .seconds(5)) { channel.close(promise: nil) }
            try? await channel.closeFuture.get()
            closed.cancel()
        }
    }

    /// Publishers far over `publish_rate`: refused with `rate_limited`, never stored.
    static func floods(port: Int, clients: Int, messages: Int) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            for client in 0..<clients {
                group.addTask {
                    let socket = try await TestWebSocket.connect(port: port, path: "/ws/pub/flood/\(client)")
                    for index in 0..<messages { try await socket.send("\(index)") }
                    await socket.close()
                }
            }
            try await group.waitForAll()
        }
    }
}
