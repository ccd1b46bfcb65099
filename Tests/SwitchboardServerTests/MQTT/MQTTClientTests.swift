import Foundation
import NIOCore
import SwitchboardCore
import Testing

/// Real MQTT clients that no one here wrote — mosquitto_pub/mosquitto_sub (Debian's
/// mosquitto-clients) and paho-mqtt (PyPI) — against a real hub over real sockets.
@Suite(.enabled(if: MQTTTools.usable, "mosquitto-clients and paho-mqtt are not installed (scripts/test installs them)"))
struct MQTTClientTests {
    /// mosquitto_sub printing each message as `MSG <topic> <retain> <hex payload>`, with its
    /// debug lines (`received SUBACK` tells the subscription is in place).
    static func subscriber(port: Int, _ filters: [String], qos: Int = 1, extra: [String] = []) throws -> ToolProcess {
        // stdbuf: mosquitto_sub's stdout is a pipe here, which the C library would buffer fully.
        try ToolProcess(
            ["stdbuf", "-oL", "mosquitto_sub", "-p", "\(port)", "-q", "\(qos)", "-d", "-F", "MSG %t %r %x"] + filters.flatMap { ["-t", $0] } + extra)
    }

    static func messages(_ tool: ToolProcess) -> [String] {
        tool.output.filter { $0.hasPrefix("MSG ") }.map { String($0.dropFirst(4)) }
    }

    static func hex(_ text: String) -> String { Data(text.utf8).map { String(format: "%02x", $0) }.joined() }

    static func publish(port: Int, _ arguments: [String]) async throws {
        let result = try await ToolProcess.run(["mosquitto_pub", "-p", "\(port)"] + arguments)
        #expect(result.status == 0, "mosquitto_pub \(arguments): \(result.stderr)")
    }

    @Test func mosquittoClientsPublishAndSubscribeAtQoS0And1WithWildcards() async throws {
        try await TestHub.with { hub in
            let subscriber = try Self.subscriber(port: hub.mqttPort, ["lab/+/temp", "plant/#"])
            defer { subscriber.kill() }
            try await subscriber.waitForLine { $0.contains("received SUBACK") }
            try await Self.publish(port: hub.mqttPort, ["-q", "0", "-t", "lab/a/temp", "-m", #"{"v":21.5}"#])
            try await Self.publish(port: hub.mqttPort, ["-q", "1", "-t", "lab/b/humidity", "-m", "not matched"])
            try await Self.publish(port: hub.mqttPort, ["-q", "1", "-t", "plant/line1/speed", "-m", "fast"])
            try await Self.publish(port: hub.mqttPort, ["-q", "2", "-t", "plant", "-m", "42"])
            let binary = TestFiles.temporaryDirectory() + "/payload.bin"
            try Data([0x00, 0xFF, 0x10, 0x80, 0x7F]).write(to: URL(fileURLWithPath: binary))
            try await Self.publish(port: hub.mqttPort, ["-q", "1", "-t", "plant/raw", "-f", binary])
            try await subscriber.waitForLine { $0.hasPrefix("MSG plant/raw") }
            #expect(
                Self.messages(subscriber) == [
                    "lab/a/temp 0 \(Self.hex(#"{"v":21.5}"#))", "plant/line1/speed 0 \(Self.hex("fast"))", "plant 0 \(Self.hex("42"))",
                    "plant/raw 0 00ff10807f",
                ])

            // Stored as data: JSON as it is, text and binary noted as such; QoS 2 stored once.
            let stored = try hub.hub.history(topic: Topic(validating: "plant/line1/speed"), after: 0, limit: 10)
            #expect(stored.map { String(buffer: $0.data) } == [#"{"$text":"fast"}"#])
            #expect(try hub.hub.history(topic: Topic(validating: "lab/a/temp"), after: 0, limit: 10).map { String(buffer: $0.data) } == [#"{"v":21.5}"#])
            #expect(try hub.hub.history(topic: Topic(validating: "plant"), after: 0, limit: 10).map { String(buffer: $0.data) } == ["42"])
            #expect(try hub.hub.history(topic: Topic(validating: "plant/raw"), after: 0, limit: 10).map { String(buffer: $0.data) } == [#"{"$base64":"AP8QgH8="}"#])
        }
    }

    @Test func retainedMessageIsTheNewestStoredAndAnEmptyRetainedPayloadClearsIt() async throws {
        try await TestHub.with { hub in
            try await Self.publish(port: hub.mqttPort, ["-r", "-q", "1", "-t", "retained/t", "-m", "one"])
            try await Self.publish(port: hub.mqttPort, ["-r", "-q", "1", "-t", "retained/t", "-m", "two"])
            let late = try await ToolProcess.run(["mosquitto_sub", "-p", "\(hub.mqttPort)", "-t", "retained/#", "-F", "%t %r %p", "-C", "1"])
            #expect(late.lines == ["retained/t 1 two"], "a new subscriber gets the newest message, flagged retained")

            // QoS 1: mosquitto_pub returns once the hub committed the empty message.
            try await Self.publish(port: hub.mqttPort, ["-r", "-q", "1", "-t", "retained/t", "-n"])
            // (Not `-W`: mosquitto_sub times out with SIGALRM, which the test runner blocks for its children.)
            let after = try Self.subscriber(port: hub.mqttPort, ["retained/#", "marker/t"])
            defer { after.kill() }
            try await after.waitForLine { $0.contains("received SUBACK") }
            _ = try await hub.hub.publish(topic: Topic(validating: "marker/t"), data: ByteBuffer(string: "1"))
            try await after.waitForLine { $0.hasPrefix("MSG marker/t") }
            #expect(Self.messages(after) == ["marker/t 0 31"], "an empty retained payload cleared it")
        }
    }

    @Test func pahoPublishesAtQoS1AndItsWillIsPublishedWhenItVanishes() async throws {
        try await TestHub.with { hub in
            let watcher = try Self.subscriber(port: hub.mqttPort, ["status/#", "paho/#"])
            defer { watcher.kill() }
            try await watcher.waitForLine { $0.contains("received SUBACK") }
            let publisher = try Paho.start([
                "pub", "--port", "\(hub.mqttPort)", "--id", "paho-pub-1", "--qos", "1", "--will-topic", "status/paho-pub-1",
                "--will-payload", "offline", "--hold", "paho/a", #"{"n":1}"#, "paho/b", "plain text",
            ])
            defer { publisher.kill() }
            try await publisher.waitForLine { $0.contains("holding") }
            #expect(Paho.events(publisher).filter { $0["acked"] != nil }.count == 2, "both QoS 1 publishes acknowledged after commit")
            #expect(try hub.hub.topicInfo(Topic(validating: "paho/b"))?.lastSeq == 1)
            try await watcher.waitForLine { $0.hasPrefix("MSG paho/b") }
            publisher.kill()  // no DISCONNECT: the hub publishes the will
            try await watcher.waitForLine { $0.hasPrefix("MSG status/paho-pub-1") }
            #expect(Self.messages(watcher) == ["paho/a 0 \(Self.hex(#"{"n":1}"#))", "paho/b 0 \(Self.hex("plain text"))", "status/paho-pub-1 0 \(Self.hex("offline"))"])
        }
    }

    @Test func pahoSubscribesWithWildcardsAtQoS1OverTCPAndOverWebSocket() async throws {
        try await TestHub.with { hub in
            for (index, overWebSocket) in [false, true].enumerated() {
                let port = overWebSocket ? hub.httpPort : hub.mqttPort
                var arguments = ["sub", "--port", "\(port)", "--id", "paho-sub-\(index)", "--qos", "1", "--count", "3", "--filter", "w\(index)/+/t", "--filter", "w\(index)/all/#"]
                if overWebSocket { arguments.append("--ws") }
                let subscriber = try Paho.start(arguments)
                defer { subscriber.kill() }
                // paho sends one SUBSCRIBE per filter.
                try await subscriber.waitForLines(3)
                #expect(Paho.events(subscriber).compactMap { $0["subscribed"] as? [Int] } == [[1], [1]])
                for (topic, data) in [("w\(index)/x/t", "1"), ("w\(index)/x/u", "2"), ("w\(index)/all/deep/er", #"{"a":[1,2]}"#), ("w\(index)/y/t", #""s""#)] {
                    _ = try await hub.hub.publish(topic: Topic(validating: topic), data: ByteBuffer(string: data))
                }
                #expect(await subscriber.waitForExit() == 0)
                let messages = Paho.messages(subscriber)
                #expect(messages.map { $0["topic"] as? String } == ["w\(index)/x/t", "w\(index)/all/deep/er", "w\(index)/y/t"])
                #expect(messages.map { $0["payload"] as? String } == ["1", #"{"a":[1,2]}"#, #""s""#])
                #expect(messages.allSatisfy { $0["qos"] as? Int == 1 })
            }
        }
    }

    @Test func messagesCrossBetweenMQTTAndWebSocketBothWaysWithTheSameSeq() async throws {
        try await TestHub.with { hub in
            let webSocket = try await hub.webSocket("/ws")
            try await webSocket.send(json: ["op": "sub", "id": 1, "topics": ["cross/#"]])
            #expect(try await webSocket.nextJSON()["op"] as? String == "ok")
            let mqtt = try Self.subscriber(port: hub.mqttPort, ["cross/#"])
            defer { mqtt.kill() }
            try await mqtt.waitForLine { $0.contains("received SUBACK") }

            // MQTT → /ws: the /ws subscriber sees the message with its seq and the MQTT client's id.
            try await Self.publish(port: hub.mqttPort, ["-q", "1", "-i", "mqtt-side", "-t", "cross/from-mqtt", "-m", #"{"v":1}"#])
            let fromMQTT = try await webSocket.nextJSON()
            #expect(fromMQTT["topic"] as? String == "cross/from-mqtt")
            #expect(fromMQTT["seq"] as? Int == 1)
            #expect(fromMQTT["from"] as? String == "mqtt-side")
            #expect((fromMQTT["data"] as? [String: Any])?["v"] as? Int == 1)

            // /ws → MQTT: acknowledged with a seq; the MQTT subscriber gets the same message.
            try await webSocket.send(json: ["op": "pub", "id": 2, "topic": "cross/from-ws", "data": ["w": 2]])
            // The message (fanned out at commit) and the answer, in either order.
            let frames = [try await webSocket.nextJSON(), try await webSocket.nextJSON()]
            let ack = try #require(frames.first { $0["op"] as? String == "ok" })
            let echoed = try #require(frames.first { $0["op"] as? String == "msg" })
            #expect(echoed["seq"] as? Int == ack["seq"] as? Int)
            try await mqtt.waitForLine { $0.hasPrefix("MSG cross/from-ws") }
            #expect(Self.messages(mqtt) == ["cross/from-mqtt 0 \(Self.hex(#"{"v":1}"#))", "cross/from-ws 0 \(Self.hex(#"{"w":2}"#))"])

            // Both sides name the same stored messages: the history holds each once, with those seqs.
            let history = try await TestHTTP.get("\(hub.http)/api/v1/topics/cross/from-ws/messages")
            let stored = history.json["messages"] as! [[String: Any]]
            #expect(stored.map { $0["seq"] as? Int } == [ack["seq"] as? Int])
        }
    }
}
