import Foundation
import NIOCore
import SwitchboardCore
import SwitchboardMQTT
import Testing

/// Persistent sessions (clean session = 0): the hub keeps the subscriptions and the last
/// seq delivered per topic, and a reconnecting client gets what it missed from the store.
@Suite struct MQTTPersistentSessionTests {
    static func publish(_ http: String, _ topic: String, _ body: String) async throws -> Int {
        let answer = try await TestHTTP.post("\(http)/api/v1/publish/\(topic)", body)
        return try #require(answer.json["seq"] as? Int)
    }

    @Test(.enabled(if: MQTTTools.usable, "paho-mqtt is not installed (scripts/test installs it)"))
    func pahoMissesMessagesWhileOfflineAndAcrossAHubRestartAndGetsAllInOrder() async throws {
        let directory = TestFiles.temporaryDirectory()
        var hub = try HubProcess.start(dataDirectory: directory)
        let http = { (hub: HubProcess) in "http://127.0.0.1:\(hub.httpPort)" }

        // Online: subscribe at QoS 1 and receive one message, then disconnect.
        let first = try Paho.start([
            "sub", "--port", "\(hub.mqttPort)", "--id", "persist-1", "--clean", "0", "--qos", "1", "--count", "1", "--filter", "ps/#",
        ])
        // Generous: python and paho start slowly on a machine running the whole suite at once.
        try await first.waitForLine(timeout: .seconds(60)) { $0.contains("subscribed") }
        _ = try await Self.publish(http(hub), "ps/a", #"{"n":0}"#)
        #expect(await first.waitForExit() == 0)
        #expect(Paho.events(first).first?["session_present"] as? Bool == false)
        #expect(Paho.messages(first).map { $0["payload"] as? String } == [#"{"n":0}"#])

        // Offline: messages on two topics, one of them new, then a restart, then more.
        var expected: [String] = []
        for n in 1...5 {
            let topic = n % 2 == 0 ? "ps/b" : "ps/a"
            _ = try await Self.publish(http(hub), topic, #"{"n":\#(n)}"#)
            expected.append("\(topic) {\"n\":\(n)}")
        }
        hub.terminate()
        hub = try HubProcess.start(dataDirectory: directory)
        defer { hub.terminate() }
        for n in 6...10 {
            let topic = n % 2 == 0 ? "ps/b" : "ps/a"
            _ = try await Self.publish(http(hub), topic, #"{"n":\#(n)}"#)
            expected.append("\(topic) {\"n\":\(n)}")
        }

        // Reconnect without subscribing: the session is present and delivers what was missed.
        let second = try Paho.start(["sub", "--port", "\(hub.mqttPort)", "--id", "persist-1", "--clean", "0", "--qos", "1", "--count", "10"])
        #expect(await second.waitForExit() == 0)
        #expect(Paho.events(second).first?["session_present"] as? Bool == true)
        let received = Paho.messages(second).map { "\($0["topic"] as? String ?? "?") \($0["payload"] as? String ?? "?")" }
        let perTopic = { (topic: String, lines: [String]) in lines.filter { $0.hasPrefix(topic + " ") } }
        #expect(received.count == 10, "\(received)")
        #expect(perTopic("ps/a", received) == perTopic("ps/a", expected), "in order, no gap, no duplicate")
        #expect(perTopic("ps/b", received) == perTopic("ps/b", expected), "in order, no gap, no duplicate")

        // A clean session throws it away.
        let clean = try Paho.start(["sub", "--port", "\(hub.mqttPort)", "--id", "persist-1", "--clean", "1", "--count", "0"])
        #expect(await clean.waitForExit() == 0)
        let again = try Paho.start(["sub", "--port", "\(hub.mqttPort)", "--id", "persist-1", "--clean", "0", "--count", "0"])
        #expect(await again.waitForExit() == 0)
        #expect(Paho.events(again).first?["session_present"] as? Bool == false, "\(again.output) \(again.errorOutput)")
    }

    @Test func unacknowledgedQoS1MessagesAreDeliveredAgainOnReconnect() async throws {
        try await TestHub.with { hub in
            let connect = Connect(clientID: "raw-persist", cleanSession: false, keepAlive: 60)
            var (client, ack) = try await TestMQTTClient.connected(port: hub.mqttPort, connect)
            #expect(ack.sessionPresent == false)
            try await client.send(.subscribe(Subscribe(packetID: 1, filters: [.init("un/t", qos: .atLeastOnce)])))
            guard case .suback(let suback) = try await client.next() else { Issue.record("no SUBACK"); return }
            #expect(suback.results == [.atLeastOnce])
            for n in 1...3 { _ = try await hub.hub.publish(topic: Topic(validating: "un/t"), data: ByteBuffer(string: "\(n)")) }
            var ids: [UInt16] = []
            for _ in 1...3 { ids.append(try #require(try await client.nextPublish().packetID)) }
            try await client.send(.puback(packetID: ids[0]))  // only the first is acknowledged
            try await client.send(.pingreq)
            #expect(try await client.next() == .pingresp)
            await client.close()

            (client, ack) = try await TestMQTTClient.connected(port: hub.mqttPort, connect)
            #expect(ack.sessionPresent)
            let again = [try await client.nextPublish(), try await client.nextPublish()]
            #expect(again.map { String(buffer: $0.payload) } == ["2", "3"], "what was not acknowledged comes again, in order")
            try await client.send(.disconnect)
            try await client.waitForClose()
        }
    }
}
