import Foundation
import NIOCore
import SwitchboardCore
import SwitchboardMQTT
import Testing

/// Malformed packets and protocol violations close that connection (MQTT 3.1.1 §4.8)
/// and disturb no one else; keep-alive and client-id rules.
@Suite struct MQTTMalformedPacketTests {
    static let connect: [UInt8] = Array(Packet.connect(Connect(clientID: "bad-client", keepAlive: 60)).bytes.readableBytesView)

    @Test func malformedPacketsCloseOnlyTheirConnection() async throws {
        try await TestHub.with { hub in
            let (bystander, _) = try await TestMQTTClient.connected(port: hub.mqttPort, Connect(clientID: "bystander"))
            try await bystander.send(.subscribe(Subscribe(packetID: 1, filters: [.init("calm/#", qos: .atMostOnce)])))
            _ = try await bystander.next()

            let cases: [(String, [UInt8])] = [
                ("packet before CONNECT", [0x30, 0x05, 0, 3] + Array("a/b".utf8)),
                ("wrong remaining length", Self.connect + [0x30, 0x03, 0, 9, 0x61]),
                ("bad UTF-8 topic", Self.connect + [0x30, 0x05, 0, 3, 0x61, 0xC3, 0x28]),
                ("reserved flags", Self.connect + [0xC1, 0x00]),
                ("oversized", Self.connect + [0x30, 0xFF, 0xFF, 0xFF, 0x7F]),
                ("five-byte remaining length", Self.connect + [0x30, 0xFF, 0xFF, 0xFF, 0xFF, 0x01]),
                ("second CONNECT", Self.connect + Self.connect),
                ("server packet from a client", Self.connect + [0x90, 0x03, 0, 1, 0]),
                ("topic outside the hub's rules at QoS 1", Self.connect + [0x32, 0x07, 0, 3] + Array("a b".utf8) + [0, 1]),
            ]
            for (index, (name, bytes)) in cases.enumerated() {
                let client = try await TestMQTTClient(port: hub.mqttPort)
                try await client.sendRaw(bytes)
                try await client.waitForClose(timeout: .seconds(5))
                // Everyone else is undisturbed.
                _ = try await hub.hub.publish(topic: Topic(validating: "calm/t"), data: ByteBuffer(string: "\(index)"))
                let delivered = try await bystander.nextPublish()
                #expect(String(buffer: delivered.payload) == "\(index)", "\(name): the bystander still gets messages")
            }
            try await bystander.send(.pingreq)
            #expect(try await bystander.next() == .pingresp)
        }
    }

    @Test func connectRulesAreAnsweredWithTheirReturnCodes() async throws {
        try await TestHub.with { hub in
            // Protocol level 3 (MQTT 3.1): CONNACK 0x01, then closed.
            let old = try await TestMQTTClient(port: hub.mqttPort)
            try await old.sendRaw([0x10, 0x0E, 0, 6] + Array("MQIsdp".utf8) + [3, 2, 0, 60, 0, 0])
            #expect(try await old.next() == .connack(.init(sessionPresent: false, returnCode: .unacceptableProtocolVersion)))
            try await old.waitForClose()

            // An empty client id needs a clean session.
            let (_, refused) = try await TestMQTTClient.connected(port: hub.mqttPort, Connect(clientID: "", cleanSession: false))
            #expect(refused.returnCode == .identifierRejected)
            let (anonymous, accepted) = try await TestMQTTClient.connected(port: hub.mqttPort, Connect(clientID: "", cleanSession: true))
            #expect(accepted.returnCode == .accepted)
            await anonymous.close()

            // A client id a device cannot have is rejected.
            let (_, slash) = try await TestMQTTClient.connected(port: hub.mqttPort, Connect(clientID: "a/b"))
            #expect(slash.returnCode == .identifierRejected)

            // A second connection with the same client id takes over; the first is closed.
            let (older, _) = try await TestMQTTClient.connected(port: hub.mqttPort, Connect(clientID: "twin"))
            let (newer, ack) = try await TestMQTTClient.connected(port: hub.mqttPort, Connect(clientID: "twin"))
            #expect(ack.returnCode == .accepted)
            try await older.waitForClose()
            try await newer.send(.pingreq)
            #expect(try await newer.next() == .pingresp)
        }
    }

    @Test func silenceForOneAndAHalfKeepAlivesClosesTheConnectionAndPublishesTheWill() async throws {
        try await TestHub.with { hub in
            let (watcher, _) = try await TestMQTTClient.connected(port: hub.mqttPort, Connect(clientID: "watcher"))
            try await watcher.send(.subscribe(Subscribe(packetID: 1, filters: [.init("wills/#", qos: .atLeastOnce)])))
            _ = try await watcher.next()
            let will = Connect.Will(topic: "wills/quiet", payload: ByteBuffer(string: "gone"), qos: .atLeastOnce)
            let started = ContinuousClock.now
            let (quiet, _) = try await TestMQTTClient.connected(port: hub.mqttPort, Connect(clientID: "quiet", keepAlive: 1, will: will))
            try await quiet.waitForClose(timeout: .seconds(30))
            let waited = ContinuousClock.now - started
            // Not before 1.5 × keep-alive; the upper end is left loose (a loaded machine delays the close, not the rule).
            #expect(waited >= .milliseconds(1400), "closed after 1.5 × keep-alive, not \(waited)")
            let published = try await watcher.nextPublish()
            #expect(published.topic == "wills/quiet" && String(buffer: published.payload) == "gone")

            // DISCONNECT discards the will.
            let (polite, _) = try await TestMQTTClient.connected(
                port: hub.mqttPort, Connect(clientID: "polite", will: .init(topic: "wills/polite", payload: ByteBuffer(string: "x"))))
            try await polite.send(.disconnect)
            try await polite.waitForClose()
            _ = try await hub.hub.publish(topic: Topic(validating: "wills/marker"), data: ByteBuffer(string: "1"))
            #expect(try await watcher.nextPublish().topic == "wills/marker", "no will after DISCONNECT")
        }
    }
}
