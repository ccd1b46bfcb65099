import NIOCore
import SwitchboardMQTT
import Testing

/// The decoder against the byte layouts of MQTT 3.1.1 §2–§3, valid and malformed.
@Suite struct PacketDecoderTests {
    static let limit = 1 << 20

    static func decode(_ bytes: [UInt8]) throws(PacketError) -> Packet? {
        var buffer = ByteBuffer(bytes: bytes)
        return try PacketDecoder.decode(&buffer, maxPacketSize: Self.limit)
    }

    static func roundTrip(_ packet: Packet) throws -> Packet? {
        var buffer = packet.bytes
        let decoded = try PacketDecoder.decode(&buffer, maxPacketSize: Self.limit)
        #expect(buffer.readableBytes == 0)
        return decoded
    }

    @Test(arguments: [
        Packet.connect(Connect(clientID: "esp32-1", cleanSession: false, keepAlive: 30)),
        .connect(
            Connect(
                clientID: "", will: .init(topic: "lab/will", payload: ByteBuffer(string: "bye"), qos: .atLeastOnce, retain: true),
                username: "u", password: [0, 1, 2])),
        .connack(ConnAck(sessionPresent: true, returnCode: .accepted)),
        .publish(Publish(topic: "lab/temp", payload: ByteBuffer(string: "21.5"))),
        .publish(Publish(topic: "a/b", payload: ByteBuffer(), qos: .atLeastOnce, packetID: 7, retain: true, dup: true)),
        .puback(packetID: 1), .pubrec(packetID: 2), .pubrel(packetID: 3), .pubcomp(packetID: 65535),
        .subscribe(Subscribe(packetID: 9, filters: [.init("lab/#", qos: .atLeastOnce), .init("+/x", qos: .exactlyOnce)])),
        .suback(SubAck(packetID: 9, results: [.atLeastOnce, nil])),
        .unsubscribe(Unsubscribe(packetID: 10, filters: ["lab/#"])), .unsuback(packetID: 10),
        .pingreq, .pingresp, .disconnect,
    ])
    func encodesAndDecodesBack(_ packet: Packet) throws {
        #expect(try Self.roundTrip(packet) == packet)
    }

    @Test func incompletePacketsWaitForMoreBytes() throws {
        let bytes = Array(Packet.publish(Publish(topic: "t", payload: ByteBuffer(repeating: 7, count: 300))).bytes.readableBytesView)
        for cut in 0..<bytes.count {
            var buffer = ByteBuffer(bytes: bytes[..<cut])
            #expect(try PacketDecoder.decode(&buffer, maxPacketSize: Self.limit) == nil)
            #expect(buffer.readableBytes == cut, "nothing consumed")
        }
    }

    @Test func remainingLengthEncodings() throws {
        for length in [0, 127, 128, 16383, 16384, 2_097_151, 2_097_152, ByteBuffer.maxRemainingLength] {
            var buffer = ByteBuffer()
            buffer.writeRemainingLength(length)
            #expect(buffer.readableBytes == ByteBuffer.remainingLengthSize(length))
        }
    }

    static func failure(_ bytes: [UInt8]) -> PacketError? {
        do throws(PacketError) {
            _ = try Self.decode(bytes)
            return nil
        } catch {
            return error
        }
    }

    @Test func malformedPacketsAreRefused() {
        let cases: [(String, [UInt8], String)] = [
            ("five length bytes", [0x30, 0xFF, 0xFF, 0xFF, 0xFF, 0x01], "malformed"),
            ("reserved type 0", [0x00, 0x00], "malformed"),
            ("reserved type 15", [0xF0, 0x00], "malformed"),
            ("PINGREQ with flags", [0xC1, 0x00], "reserved_flags"),
            ("SUBSCRIBE flags 0000", [0x80, 0x06, 0, 1, 0, 1, 0x61, 0], "reserved_flags"),
            ("PUBREL flags 0000", [0x60, 0x02, 0, 1], "reserved_flags"),
            ("PINGREQ with a body", [0xC0, 0x01, 0x00], "malformed"),
            ("PUBACK too long", [0x40, 0x03, 0, 1, 0], "malformed"),
            ("PUBLISH QoS 3", [0x36, 0x05, 0, 1, 0x61, 0, 1], "malformed"),
            ("QoS 0 with DUP", [0x38, 0x03, 0, 1, 0x61], "malformed"),
            ("topic longer than the packet", [0x30, 0x03, 0, 9, 0x61], "malformed"),
            ("bad UTF-8 topic", [0x30, 0x04, 0, 2, 0xC3, 0x28], "bad_utf8"),
            ("surrogate in topic", [0x30, 0x05, 0, 3, 0xED, 0xA0, 0x80], "bad_utf8"),
            ("U+0000 in topic", [0x30, 0x04, 0, 2, 0x61, 0x00], "bad_utf8"),
            ("wildcard in topic name", [0x30, 0x03, 0, 1, 0x23], "malformed"),
            ("empty topic name", [0x30, 0x02, 0, 0], "malformed"),
            ("QoS 1 packet id 0", [0x32, 0x05, 0, 1, 0x61, 0, 0], "malformed"),
            ("SUBSCRIBE without filters", [0x82, 0x02, 0, 1], "malformed"),
            ("SUBSCRIBE reserved QoS bits", [0x82, 0x06, 0, 1, 0, 1, 0x61, 0x04], "reserved_flags"),
            ("UNSUBSCRIBE without filters", [0xA2, 0x02, 0, 1], "malformed"),
            ("CONNECT reserved flag", Self.connect(flags: 0x03), "reserved_flags"),
            ("CONNECT will QoS without will", Self.connect(flags: 0x0A), "malformed"),
            ("CONNECT password without user name", Self.connect(flags: 0x42), "malformed"),
            ("CONNECT level 3", Self.connect(flags: 0x02, level: 3), "unsupported_level"),
            ("CONNECT level 5", Self.connect(flags: 0x02, level: 5), "unsupported_level"),
            ("CONNECT other protocol", [0x10, 0x0C, 0, 4] + Array("MQTX".utf8) + [4, 2, 0, 60, 0, 0], "malformed"),
            ("CONNECT with extra bytes", Self.connect(flags: 0x02, extra: [1]), "malformed"),
        ]
        for (name, bytes, code) in cases {
            #expect(Self.failure(bytes)?.code == code, "\(name)")
        }
    }

    @Test func oversizedPacketsAreRefusedFromTheirHeader() {
        var buffer = ByteBuffer(bytes: [0x30, 0x80, 0x80, 0x01])  // 16384 bytes announced, none sent
        #expect(throws: PacketError.self) { try PacketDecoder.decode(&buffer, maxPacketSize: 1000) }
    }

    /// A CONNECT with an empty client id and the given flags (no will or user fields).
    static func connect(flags: UInt8, level: UInt8 = 4, extra: [UInt8] = []) -> [UInt8] {
        let body: [UInt8] = [0, 4] + Array("MQTT".utf8) + [level, flags, 0, 60, 0, 0] + extra
        return [0x10, UInt8(body.count)] + body
    }
}
