import Foundation
import NIOCore
import Testing

@testable import SwitchboardCore
@testable import SwitchboardServer

/// Required test 2: reconnect with `since` while publishing goes on — exactly the missed messages, then live ones.
@Suite struct RecoveryTests {
    /// Publishes `count` messages to `topic` at a steady pace over a WebSocket, with acks.
    static func publishSteadily(_ hub: TestHub, topic: String, count: Int, every: Duration) async throws {
        let publisher = try await hub.webSocket("/ws")
        for index in 1...count {
            try await publisher.send(json: ["op": "pub", "topic": topic, "data": ["i": index]])
            try await Task.sleep(for: every)
        }
        try await publisher.send(json: ["op": "pub", "id": "last", "topic": topic, "data": ["i": count + 1]])
        while try await publisher.nextJSON()["id"] as? String != "last" {}
        await publisher.close()
    }

    static func receiveUntil(_ client: TestWebSocket, seq target: Int, into seqs: inout [Int]) async throws {
        while seqs.last ?? 0 < target {
            let message = try await client.nextJSON()
            if message["op"] as? String == "msg" || message["op"] == nil, let seq = message["seq"] as? Int {
                seqs.append(seq)
            }
        }
    }

    @Test(arguments: [1024, 8])  // window holds the missed messages / replay must read the store
    func reconnectWithSinceReceivesExactlyTheMissedMessages(windowSize: Int) async throws {
        try await TestHub.with(configure: { $0.hub.windowSize = windowSize }) { hub in
            let total = 400
            let first = try await hub.webSocket("/ws")
            try await first.send(json: ["op": "sub", "id": 1, "topics": ["rec/t"]])
            _ = try await first.nextJSON()
            let publishing = Task { try await Self.publishSteadily(hub, topic: "rec/t", count: total, every: .milliseconds(2)) }

            var seqs: [Int] = []
            try await Self.receiveUntil(first, seq: 60, into: &seqs)
            await first.close()
            let lastSeen = seqs.last!
            try await Task.sleep(for: .milliseconds(150))  // messages keep coming while nobody listens

            let second = try await hub.webSocket("/ws")
            try await second.send(json: ["op": "sub", "id": 2, "topics": ["rec/#"], "since": ["rec/t": lastSeen]])
            #expect(try await second.nextJSON()["op"] as? String == "ok")
            var resumed: [Int] = []
            try await Self.receiveUntil(second, seq: total + 1, into: &resumed)
            try await publishing.value

            #expect(seqs == Array(1...lastSeen))
            #expect(resumed == Array((lastSeen + 1)...(total + 1)), "no gap, no duplicate across the reconnect")
            await second.close()
        }
    }

    /// Replays from the store are encoded row by row straight into one buffer, not
    /// through `Message`: they must be byte for byte what live subscribers got.
    @Test(arguments: ["/ws/sub/bytes/%23", "/ws/sub/bytes/%23?format=data"])
    func replayFromTheStoreSendsTheSameBytesAsLive(path: String) async throws {
        try await TestHub.with(configure: { $0.hub.windowSize = 2 }) { hub in
            let live = try await hub.webSocket(path)
            // Once a probe arrives the subscription is surely in place (a replay sorts topics
            // by name, so the probe comes first there too).
            _ = try await TestHTTP.post("\(hub.http)/api/v1/publish/bytes/probe", "0")
            guard case .text(let probe) = try await live.next() else { Issue.record("live closed"); return }
            let bodies = [#"{"v":1}"#, #"[1,"ü",null]"#, #""text \" quoted""#, "42", #"{"nested":{"a":[true,false]}}"#]
            for (index, body) in bodies.enumerated() {
                let from = index % 2 == 0 ? "?from=esp32-%22\(index)%22" : ""
                _ = try await TestHTTP.post("\(hub.http)/api/v1/publish/bytes/t\(from)", body)
            }
            var liveTexts: [String] = [probe]
            for _ in bodies {
                guard case .text(let text) = try await live.next() else { Issue.record("live closed"); return }
                liveTexts.append(text)
            }
            let separator = path.contains("?") ? "&" : "?"
            let replay = try await hub.webSocket(path + separator + "since=0")
            var replayed: [String] = []
            for _ in liveTexts {
                guard case .text(let text) = try await replay.next() else { Issue.record("replay closed"); return }
                replayed.append(text)
            }
            #expect(replayed == liveTexts)
            #expect(liveTexts[1].contains(#""from":"esp32-\"0\"""#) || path.contains("format=data"))
            await live.close()
            await replay.close()
        }
    }

    /// A replay longer than a page reads page after page (the next while the last is being sent),
    /// in every format, with nothing lost or repeated at the page boundaries.
    @Test(arguments: ["/ws/sub/pages/t?format=data&since=", "/ws/sub/pages/t?since="])
    func replaysAcrossManyPagesArriveWholeAndInOrder(path: String) async throws {
        try await TestHub.with(configure: { $0.hub.windowSize = 2; $0.hub.outbound.replayPageSize = 7 }) { hub in
            let body = (1...100).map { #"{"i":\#($0)}"# }.joined(separator: "\n")
            _ = try await TestHTTP.post("\(hub.http)/api/v1/publish/pages/t", body, contentType: "application/x-ndjson")
            var total = 100
            for since in [0, 33, 98] {
                let client = try await hub.webSocket(path + "\(since)")
                var received: [Int] = []
                while received.count < total - since {
                    let message = try await client.nextJSON()
                    let data = (message["data"] as? [String: Any]) ?? message
                    received.append(data["i"] as! Int)
                }
                #expect(received == Array((since + 1)...total), "since \(since)")
                total += 1
                _ = try await TestHTTP.post("\(hub.http)/api/v1/publish/pages/t", #"{"i":\#(total)}"#)
                let live = try await client.nextJSON()
                #expect(((live["data"] as? [String: Any]) ?? live)["i"] as? Int == total, "then live messages")
                await client.close()
            }
        }
    }

    @Test func simpleSubscribeEndpointResumesWithSinceAndLast() async throws {
        try await TestHub.with { hub in
            for index in 1...20 {
                _ = try await TestHTTP.post("\(hub.http)/api/v1/publish/simple/t", "\(index)")
            }
            let resumed = try await hub.webSocket("/ws/sub/simple/t?since=15")
            var seqs: [Int] = []
            for _ in 0..<5 { seqs.append(try await resumed.nextJSON()["seq"] as! Int) }
            #expect(seqs == [16, 17, 18, 19, 20])

            let newest = try await hub.webSocket("/ws/sub/simple/%23?last=3&format=data")
            var data: [String] = []
            for _ in 0..<3 {
                guard case .text(let text) = try await newest.next() else { Issue.record("closed"); return }
                data.append(text)
            }
            #expect(data == ["18", "19", "20"], "format=data sends the data alone")
            _ = try await TestHTTP.post("\(hub.http)/api/v1/publish/simple/t", "21")
            #expect(try await newest.next() == .text("21"), "then live messages")
        }
    }

    @Test func messagesRemovedByRetentionAreAnnouncedAsAGap() async throws {
        try await TestHub.with(configure: { $0.hub.retainCount = 10; $0.hub.windowSize = 4 }) { hub in
            for index in 1...50 {
                _ = try await TestHTTP.post("\(hub.http)/api/v1/publish/gap/t", "\(index)")
            }
            try hub.hub.applyRetention()
            let client = try await hub.webSocket("/ws")
            try await client.send(json: ["op": "sub", "id": 1, "topics": ["gap/t"], "since": ["gap/t": 5]])
            #expect(try await client.nextJSON()["op"] as? String == "ok")
            let gap = try await client.nextJSON()
            #expect(gap["op"] as? String == "gap")
            #expect(gap["topic"] as? String == "gap/t")
            #expect(gap["from"] as? Int == 6)
            #expect(gap["to"] as? Int == 40)
            var seqs: [Int] = []
            for _ in 41...50 { seqs.append(try await client.nextJSON()["seq"] as! Int) }
            #expect(seqs == Array(41...50))
            let topics = try await TestHTTP.get("\(hub.http)/api/v1/topics")
            let entry = (topics.json["topics"] as! [[String: Any]]).first { $0["topic"] as? String == "gap/t" }!
            #expect(entry["count"] as? Int == 10)
            #expect(entry["last_seq"] as? Int == 50)
        }
    }

    @Test func seqContinuesAfterRestartAndRetentionEmptiedTheTopic() async throws {
        let directory = TestFiles.temporaryDirectory()
        try await TestHub.with(configure: { $0.hub.retainCount = 1 }, dataDirectory: directory) { hub in
            for index in 1...5 { _ = try await TestHTTP.post("\(hub.http)/api/v1/publish/restart/t", "\(index)") }
            try hub.hub.applyRetention()
        }
        try await TestHub.with(dataDirectory: directory) { hub in
            let response = try await TestHTTP.post("\(hub.http)/api/v1/publish/restart/t", "6")
            #expect(response.json["seq"] as? Int == 6, "seqs are never reused")
        }
    }
}
