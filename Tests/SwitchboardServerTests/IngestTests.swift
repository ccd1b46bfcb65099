import Foundation
import SwitchboardCore
import NIOCore
import Testing

@testable import SwitchboardServer

/// Required test 1: three publishers at once over `/ws`, HTTP and TCP (base64), one pattern subscriber.
/// Required test 7: idempotent `key`.
@Suite struct IngestTests {
    @Test func threeTransportsFanInToOnePatternSubscriber() async throws {
        try await TestHub.with { hub in
            let subscriber = try await hub.webSocket("/ws")
            try await subscriber.send(json: ["op": "sub", "id": 1, "topics": ["mix/#"]])
            #expect(try await subscriber.nextJSON()["op"] as? String == "ok")

            let perTransport = 150
            async let viaWebSocket: Void = {
                let publisher = try await hub.webSocket("/ws?device=ws-pub")
                for index in 1...perTransport {
                    try await publisher.send(json: ["op": "pub", "id": index, "topic": "mix/ws", "data": ["i": index]])
                }
                var acked = 0
                while acked < perTransport {
                    let answer = try await publisher.nextJSON()
                    #expect(answer["op"] as? String == "ok")
                    acked += 1
                }
                await publisher.close()
            }()
            async let viaHTTP: Void = {
                for index in 1...perTransport {
                    let response = try await TestHTTP.post("\(hub.http)/api/v1/publish/mix/http?from=curl", #"{"i":\#(index)}"#)
                    #expect(response.status == 200)
                }
            }()
            async let viaTCP: Void = {
                let client = try await TestTCPClient(port: hub.tcpPort)
                let hello = Data(#"{"hello":"esp32-1","topic":"mix/tcp"}"#.utf8).base64EncodedString()
                try await client.send(hello)
                let helloAnswer = try #require(try await client.nextLine())
                #expect(String(decoding: Data(base64Encoded: helloAnswer)!, as: UTF8.self) == #"{"ok":true}"#)
                for index in 1...perTransport {
                    try await client.send(Data(#"{"i":\#(index),"id":\#(index)}"#.utf8).base64EncodedString())
                }
                for _ in 1...perTransport {
                    let line = try #require(try await client.nextLine())
                    let decoded = try #require(Data(base64Encoded: line), "answers to base64 lines are base64")
                    let answer = try JSONSerialization.jsonObject(with: decoded) as! [String: Any]
                    #expect(answer["seq"] != nil)
                }
                await client.close()
            }()
            _ = try await (viaWebSocket, viaHTTP, viaTCP)

            var seqs: [String: [Int]] = [:]
            for _ in 0..<(3 * perTransport) {
                let message = try await subscriber.nextJSON()
                #expect(message["op"] as? String == "msg")
                seqs[message["topic"] as! String, default: []].append(message["seq"] as! Int)
            }
            for topic in ["mix/ws", "mix/http", "mix/tcp"] {
                #expect(seqs[topic] == Array(1...perTransport), "every message once, in seq order, on \(topic)")
            }
            await subscriber.close()
        }
    }

    @Test func envelopeCarriesTopicSeqTimestampAndPublisher() async throws {
        try await TestHub.with { hub in
            let subscriber = try await hub.webSocket("/ws/sub/env/t")
            let publisher = try await hub.webSocket("/ws?device=esp32-7")
            let before = Int(Date().timeIntervalSince1970 * 1000)
            try await publisher.send(json: ["op": "pub", "id": "a", "topic": "env/t", "data": ["v": 21.5]])
            let ack = try await publisher.nextJSON()
            #expect(ack["op"] as? String == "ok")
            #expect(ack["id"] as? String == "a", "a string id is echoed as sent")
            #expect(ack["seq"] as? Int == 1)
            let envelope = try await subscriber.nextJSON()
            #expect(Set(envelope.keys) == ["topic", "seq", "ts", "from", "data"])
            #expect(envelope["from"] as? String == "esp32-7")
            #expect((envelope["ts"] as! Int) >= before)
            #expect((envelope["data"] as! [String: Any])["v"] as? Double == 21.5)
        }
    }

    @Test func idempotentKeyStoresOnceAndAnswersTheOriginalSeq() async throws {
        try await TestHub.with { hub in
            let publisher = try await hub.webSocket("/ws?device=esp32-1")
            try await publisher.send(json: ["op": "pub", "id": 1, "topic": "idem/t", "data": 1])
            #expect(try await publisher.nextJSON()["seq"] as? Int == 1)
            try await publisher.send(json: ["op": "pub", "id": 2, "topic": "idem/t", "data": 2, "key": "esp32-1:000123"])
            let first = try await publisher.nextJSON()
            try await publisher.send(json: ["op": "pub", "id": 3, "topic": "idem/t", "data": 2, "key": "esp32-1:000123"])
            let second = try await publisher.nextJSON()
            #expect(first["seq"] as? Int == 2)
            #expect(second["seq"] as? Int == 2, "the resend is answered with the original seq")
            #expect(second["id"] as? Int == 3)

            // The same key in one batch, over HTTP and TCP too.
            let http1 = try await TestHTTP.post("\(hub.http)/api/v1/publish/idem/t?from=dev&key=k9", "5")
            let http2 = try await TestHTTP.post("\(hub.http)/api/v1/publish/idem/t?from=dev&key=k9", "5")
            #expect(http1.json["seq"] as? Int == 3)
            #expect(http2.json["seq"] as? Int == 3)

            let history = try await TestHTTP.get("\(hub.http)/api/v1/topics/idem/t/messages")
            let messages = history.json["messages"] as! [[String: Any]]
            #expect(messages.map { $0["seq"] as! Int } == [1, 2, 3], "each keyed message stored once")
        }
    }
}
