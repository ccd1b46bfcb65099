import Foundation
import SwitchboardCore
import NIOCore
import Testing

@testable import SwitchboardServer

/// Required test 5: each kind of bad input gets SPEC's error, and the hub keeps serving everyone else.
@Suite struct BadInputTests {
    static func error(_ frame: [String: Any]) -> String? {
        (frame["error"] as? [String: Any])?["code"] as? String
    }

    @Test func webSocketProtocolErrorsKeepTheConnectionOpen() async throws {
        try await TestHub.with { hub in
            let client = try await hub.webSocket("/ws")
            try await client.send("{not json")
            #expect(Self.error(try await client.nextJSON()) == "bad_json")
            try await client.send(#"{"op":"dance","id":1}"#)
            let unknown = try await client.nextJSON()
            #expect(Self.error(unknown) == "unknown_op")
            #expect(unknown["id"] as? Int == 1)
            let badTopics = ["", "a//b", "/a", "a/", "a b", "a/+", "a/#", "$sys/x", "ä/b", String(repeating: "a/", count: 16) + "a",
                             String(repeating: "x", count: 256)]
            for (index, topic) in badTopics.enumerated() {
                try await client.send(json: ["op": "pub", "id": index, "topic": topic, "data": 1])
                let answer = try await client.nextJSON()
                #expect(Self.error(answer) == "bad_topic", "topic '\(topic)'")
                #expect(answer["id"] as? Int == index)
            }
            for pattern in ["a/#/b", "a/b#", "a/+b", "a//b"] {
                try await client.send(json: ["op": "sub", "id": 1, "topics": [pattern]])
                #expect(Self.error(try await client.nextJSON()) == "bad_topic", "pattern '\(pattern)'")
            }
            try await client.send(json: ["op": "pub", "id": 9, "topic": "ok/t"])
            #expect(Self.error(try await client.nextJSON()) == "bad_request", "missing data")
            try await client.send(json: ["op": "call", "id": 10, "method": "nope"])
            #expect(Self.error(try await client.nextJSON()) == "not_found")
            let big = String(repeating: "x", count: 70_000)
            try await client.send(json: ["op": "pub", "id": 11, "topic": "ok/t", "data": big])
            #expect(Self.error(try await client.nextJSON()) == "too_large")
            try await client.channel.writeAndFlush(
                WebSocketFrameHelper.binary([0xff, 0x00, 0x13]))
            #expect(Self.error(try await client.nextJSON()) == "bad_json")

            // Still open and working.
            try await client.send(json: ["op": "pub", "id": 12, "topic": "ok/t", "data": 1])
            let ok = try await client.nextJSON()
            #expect(ok["op"] as? String == "ok")
            #expect(ok["seq"] as? Int == 1)
        }
    }

    @Test func oversizedFrameIsRefusedWith1009() async throws {
        try await TestHub.with(configure: { $0.limits.maxFrameBytes = 128 * 1024 }) { hub in
            let client = try await hub.webSocket("/ws")
            try await client.send(String(repeating: "y", count: 300_000))
            #expect(Self.error(try await client.nextJSON()) == "too_large")
            #expect(try await client.next() == .close(code: 1009, reason: "frame too large"))
            let other = try await hub.webSocket("/ws")
            try await other.send(json: ["op": "call", "id": 1, "method": "time"])
            let result = try await other.nextJSON()
            #expect((result["result"] as? [String: Any])?["ms"] != nil, "everyone else is still served")
        }
    }

    @Test func invalidSimpleEndpointIsExplained() async throws {
        try await TestHub.with { hub in
            let client = try await hub.webSocket("/ws/sub/a/%23/b")
            #expect(Self.error(try await client.nextJSON()) == "bad_topic")
            #expect(try await client.next() == .close(code: 1008, reason: "bad_topic"))
            let publisher = try await hub.webSocket("/ws/pub/p/t")
            try await publisher.send("{oops")
            #expect(Self.error(try await publisher.nextJSON()) == "bad_json")
        }
    }

    @Test func tcpGarbageAndLongLines() async throws {
        try await TestHub.with(configure: { $0.limits.maxLineBytes = 1024 }) { hub in
            let client = try await TestTCPClient(port: hub.tcpPort)
            var garbage = ByteBuffer()
            let bytes: [UInt8] = (0..<200).map { (index: Int) -> UInt8 in UInt8((index * 37 + 11) % 256) }
            garbage.writeBytes(bytes.filter { $0 != 10 })
            garbage.writeString("\n")
            try await client.sendRaw(garbage)
            #expect(Self.error(try await client.nextJSON()) == "bad_json")
            try await client.send(#"{"topic":"t/1","data":}"#)
            #expect(Self.error(try await client.nextJSON()) == "bad_json")
            try await client.send(#"{"topic":"bad topic","data":1,"id":3}"#)
            let badTopic = try await client.nextJSON()
            #expect(Self.error(badTopic) == "bad_topic")
            #expect(badTopic["id"] as? Int == 3)
            try await client.send(#"{"data":1,"id":4}"#)
            #expect(Self.error(try await client.nextJSON()) == "bad_request", "no topic and no hello")
            try await client.send(#"{"topic":"t/1","data":1,"id":5}"#)
            #expect(try await client.nextJSON()["seq"] as? Int == 1, "the connection survived the bad lines")

            try await client.sendRaw(ByteBuffer(string: String(repeating: "z", count: 5000)))
            #expect(Self.error(try await client.nextJSON()) == "too_large")
            #expect(try await client.nextLine() == nil, "a line over the limit closes the connection")
        }
    }

    @Test func connectionAndSubscriptionLimits() async throws {
        try await TestHub.with(configure: { $0.limits.maxConnections = 2; $0.limits.maxSubscriptionsPerConnection = 2 }) { hub in
            let first = try await hub.webSocket("/ws")
            let second = try await TestTCPClient(port: hub.tcpPort)
            // The TCP line counts once the hub has taken it, on another listener than the WebSockets'.
            let deadline = ContinuousClock.now + .seconds(10)
            while try await TestHTTP.get("\(hub.http)/healthz").json["connections"] as? Int != 2, ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(10))
            }
            let third = try await hub.webSocket("/ws")
            #expect(Self.error(try await third.nextJSON()) == "limit_exceeded")
            #expect(try await third.next() == .close(code: 1013, reason: "too many connections"))

            try await first.send(json: ["op": "sub", "id": 1, "topics": ["a/1", "a/2"]])
            #expect(try await first.nextJSON()["op"] as? String == "ok")
            try await first.send(json: ["op": "sub", "id": 2, "topics": ["a/3"]])
            let refused = try await first.nextJSON()
            #expect(Self.error(refused) == "limit_exceeded")
            #expect(refused["id"] as? Int == 2)
            try await first.send(json: ["op": "unsub", "id": 3, "topics": ["a/1"]])
            #expect(try await first.nextJSON()["op"] as? String == "ok")
            try await first.send(json: ["op": "sub", "id": 4, "topics": ["a/3"]])
            #expect(try await first.nextJSON()["op"] as? String == "ok", "room again after unsub")
            await second.close()
        }
    }

    @Test func httpErrors() async throws {
        try await TestHub.with { hub in
            let wrongType = try await TestHTTP.post("\(hub.http)/api/v1/publish/h/t", "v=1", contentType: "application/x-www-form-urlencoded")
            #expect(wrongType.status == 415)
            #expect(wrongType.errorCode == "unsupported_media_type")
            let badJSON = try await TestHTTP.post("\(hub.http)/api/v1/publish/h/t", "{nope")
            #expect(badJSON.status == 400)
            #expect(badJSON.errorCode == "bad_json")
            let badTopic = try await TestHTTP.post("\(hub.http)/api/v1/publish/h/+/t", "1")
            #expect(badTopic.status == 400)
            #expect(badTopic.errorCode == "bad_topic")
            let badLine = try await TestHTTP.post("\(hub.http)/api/v1/publish/h/t", "1\n{x\n", contentType: "application/x-ndjson")
            #expect(badLine.errorCode == "bad_json")
            #expect(badLine.json.description.contains("line 2"))
            let tooLarge = try await TestHTTP.post("\(hub.http)/api/v1/publish/h/t", "\"" + String(repeating: "a", count: 70_000) + "\"")
            #expect(tooLarge.status == 413)
            #expect(tooLarge.errorCode == "too_large")
            let missing = try await TestHTTP.get("\(hub.http)/api/v1/nothing")
            #expect(missing.status == 404)
            #expect(missing.errorCode == "not_found")
            let badQuery = try await TestHTTP.get("\(hub.http)/api/v1/topics/h/t/messages?limit=abc")
            #expect(badQuery.errorCode == "bad_request")
            let fine = try await TestHTTP.post("\(hub.http)/api/v1/publish/h/t", "1")
            #expect(fine.json["seq"] as? Int == 1, "nothing was stored by the bad requests")
        }
    }
}

import NIOWebSocket

enum WebSocketFrameHelper {
    static func binary(_ bytes: [UInt8]) -> WebSocketFrame {
        WebSocketFrame(fin: true, opcode: .binary, maskKey: .random(), data: ByteBuffer(bytes: bytes))
    }
}
