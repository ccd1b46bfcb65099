public import NIOCore

/// Splits a byte stream into MQTT 3.1.1 packets and checks each one strictly
/// (OASIS MQTT 3.1.1 §2–§3): remaining length, reserved flags, UTF-8 strings,
/// packet identifiers, and that every packet holds exactly its remaining length.
///
/// Any violation throws a ``PacketError``; the caller closes the connection
/// (§4.8). Used in a pipeline as a `ByteToMessageDecoder`, or directly with
/// ``decode(_:maxPacketSize:)`` (tests, the fuzzer).
public struct PacketDecoder: ByteToMessageDecoder {
    public typealias InboundOut = Packet

    /// Packets whose remaining length exceeds this are refused (``PacketError/tooLarge(_:)``).
    public let maxPacketSize: Int

    public init(maxPacketSize: Int) {
        self.maxPacketSize = maxPacketSize
    }

    public mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let packet = try Self.decode(&buffer, maxPacketSize: self.maxPacketSize) else { return .needMoreData }
        context.fireChannelRead(Self.wrapInboundOut(packet))
        return .continue
    }

    public mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws -> DecodingState {
        // A partial packet at the end of the stream is dropped with the connection.
        while try self.decode(context: context, buffer: &buffer) == .continue {}
        return .needMoreData
    }

    /// Takes the next whole packet off `buffer`; `nil` (consuming nothing) while it is incomplete.
    public static func decode(_ buffer: inout ByteBuffer, maxPacketSize: Int) throws(PacketError) -> Packet? {
        guard let first = buffer.getInteger(at: buffer.readerIndex, as: UInt8.self) else { return nil }
        var length = 0
        var headerSize = 1
        while true {
            guard headerSize <= 4 else { throw .malformed("the remaining length takes more than four bytes") }
            guard let byte = buffer.getInteger(at: buffer.readerIndex + headerSize, as: UInt8.self) else { return nil }
            length |= Int(byte & 0x7F) << (7 * (headerSize - 1))
            headerSize += 1
            if byte & 0x80 == 0 { break }
        }
        guard length <= maxPacketSize else { throw .tooLarge("a packet of \(length) bytes; the limit is \(maxPacketSize)") }
        guard buffer.readableBytes >= headerSize + length else { return nil }
        buffer.moveReaderIndex(forwardBy: headerSize)
        var body = buffer.readSlice(length: length)!
        let packet = try Self.decodeBody(first: first, body: &body)
        guard body.readableBytes == 0 else {
            throw .malformed("\(body.readableBytes) bytes left over after the packet's fields: the remaining length is wrong")
        }
        return packet
    }

    private static func decodeBody(first: UInt8, body: inout ByteBuffer) throws(PacketError) -> Packet {
        let flags = first & 0x0F
        guard let kind = Packet.Kind(rawValue: first >> 4) else { throw .malformed("reserved packet type \(first >> 4)") }
        // §2.2.2: PUBLISH carries flags, PUBREL/SUBSCRIBE/UNSUBSCRIBE must have 0010, all others 0000.
        switch kind {
        case .publish: break
        case .pubrel, .subscribe, .unsubscribe:
            guard flags == 0b0010 else { throw .reservedFlags("\(kind) must have fixed-header flags 0010, not \(Self.bits(flags))") }
        default:
            guard flags == 0 else { throw .reservedFlags("\(kind) must have fixed-header flags 0000, not \(Self.bits(flags))") }
        }
        switch kind {
        case .connect: return .connect(try Self.connect(&body))
        case .connack: return .connack(try Self.connack(&body))
        case .publish: return .publish(try Self.publish(flags: flags, &body))
        case .puback: return .puback(packetID: try Self.acknowledgement(kind, &body))
        case .pubrec: return .pubrec(packetID: try Self.acknowledgement(kind, &body))
        case .pubrel: return .pubrel(packetID: try Self.acknowledgement(kind, &body))
        case .pubcomp: return .pubcomp(packetID: try Self.acknowledgement(kind, &body))
        case .subscribe: return .subscribe(try Self.subscribe(&body))
        case .suback: return .suback(try Self.suback(&body))
        case .unsubscribe: return .unsubscribe(try Self.unsubscribe(&body))
        case .unsuback: return .unsuback(packetID: try Self.acknowledgement(kind, &body))
        case .pingreq, .pingresp, .disconnect:
            guard body.readableBytes == 0 else { throw .malformed("\(kind) has a remaining length of 0, not \(body.readableBytes)") }
            return kind == .pingreq ? .pingreq : kind == .pingresp ? .pingresp : .disconnect
        }
    }

    private static func bits(_ flags: UInt8) -> String {
        let text = String(flags, radix: 2)
        return String(repeating: "0", count: 4 - text.count) + text
    }

    // MARK: - Packets

    private static func connect(_ body: inout ByteBuffer) throws(PacketError) -> Connect {
        let name = try body.readMQTTString("protocol name")
        guard let level = body.readInteger(as: UInt8.self) else { throw .malformed("CONNECT ends before its protocol level") }
        switch name {
        case "MQTT":
            guard let version = ProtocolVersion(rawValue: level) else { throw .unsupportedLevel(level) }
            _ = version
        case "MQIsdp": throw .unsupportedLevel(level)  // MQTT 3.1
        default: throw .malformed("protocol name '\(name)' is not MQTT")
        }
        guard let connectFlags = body.readInteger(as: UInt8.self), let keepAlive = body.readInteger(as: UInt16.self) else {
            throw .malformed("CONNECT ends inside its variable header")
        }
        guard connectFlags & 0x01 == 0 else { throw .reservedFlags("the reserved CONNECT flag (bit 0) must be 0") }
        let cleanSession = connectFlags & 0x02 != 0
        let hasWill = connectFlags & 0x04 != 0
        let willQoSBits = (connectFlags >> 3) & 0x03
        let willRetain = connectFlags & 0x20 != 0
        let hasPassword = connectFlags & 0x40 != 0
        let hasUsername = connectFlags & 0x80 != 0
        guard willQoSBits != 3 else { throw .malformed("will QoS 3 is not a QoS") }
        if !hasWill && (willQoSBits != 0 || willRetain) { throw .malformed("will QoS and will retain must be 0 without a will") }
        if hasPassword && !hasUsername { throw .malformed("a password needs a user name in MQTT 3.1.1") }

        var connect = Connect(clientID: try body.readMQTTString("client identifier"), cleanSession: cleanSession, keepAlive: keepAlive)
        if hasWill {
            let topic = try body.readMQTTString("will topic")
            try Self.checkTopicName(topic, "will topic")
            let payload = try body.readMQTTBinary("will message")
            connect.will = .init(topic: topic, payload: payload, qos: QoS(rawValue: willQoSBits)!, retain: willRetain)
        }
        if hasUsername { connect.username = try body.readMQTTString("user name") }
        if hasPassword { connect.password = Array(try body.readMQTTBinary("password").readableBytesView) }
        return connect
    }

    private static func connack(_ body: inout ByteBuffer) throws(PacketError) -> ConnAck {
        guard body.readableBytes == 2, let flags = body.readInteger(as: UInt8.self), let code = body.readInteger(as: UInt8.self) else {
            throw .malformed("CONNACK has a remaining length of 2")
        }
        guard flags & 0xFE == 0 else { throw .reservedFlags("CONNACK acknowledge flags bits 7–1 must be 0") }
        guard let returnCode = ConnAck.ReturnCode(rawValue: code) else { throw .malformed("CONNACK return code \(code) is reserved") }
        return ConnAck(sessionPresent: flags & 1 == 1, returnCode: returnCode)
    }

    private static func publish(flags: UInt8, _ body: inout ByteBuffer) throws(PacketError) -> Publish {
        guard let qos = QoS(rawValue: (flags >> 1) & 0x03) else { throw .malformed("PUBLISH with QoS 3") }
        let dup = flags & 0x08 != 0
        if dup && qos == .atMostOnce { throw .malformed("DUP must be 0 on a QoS 0 PUBLISH") }
        let topic = try body.readMQTTString("topic name")
        try Self.checkTopicName(topic, "topic name")
        var packetID: UInt16? = nil
        if qos != .atMostOnce {
            let id = try body.readPacketID("PUBLISH")
            guard id != 0 else { throw .malformed("packet identifier 0") }
            packetID = id
        }
        let payload = body.readSlice(length: body.readableBytes)!
        return Publish(topic: topic, payload: payload, qos: qos, packetID: packetID, retain: flags & 0x01 != 0, dup: dup)
    }

    private static func acknowledgement(_ kind: Packet.Kind, _ body: inout ByteBuffer) throws(PacketError) -> UInt16 {
        guard body.readableBytes == 2 else { throw .malformed("\(kind) has a remaining length of 2, not \(body.readableBytes)") }
        return try body.readPacketID("\(kind)")
    }

    private static func subscribe(_ body: inout ByteBuffer) throws(PacketError) -> Subscribe {
        let packetID = try body.readPacketID("SUBSCRIBE")
        guard packetID != 0 else { throw .malformed("packet identifier 0") }
        var filters: [Subscribe.Filter] = []
        while body.readableBytes > 0 {
            let filter = try body.readMQTTString("topic filter")
            guard !filter.isEmpty else { throw .malformed("an empty topic filter") }
            guard let requested = body.readInteger(as: UInt8.self) else { throw .malformed("SUBSCRIBE ends before a requested QoS") }
            guard requested & 0xFC == 0 else { throw .reservedFlags("the reserved bits of a requested QoS must be 0") }
            guard let qos = QoS(rawValue: requested) else { throw .malformed("requested QoS 3") }
            filters.append(.init(filter, qos: qos))
        }
        guard !filters.isEmpty else { throw .malformed("SUBSCRIBE without a topic filter") }
        return Subscribe(packetID: packetID, filters: filters)
    }

    private static func suback(_ body: inout ByteBuffer) throws(PacketError) -> SubAck {
        let packetID = try body.readPacketID("SUBACK")
        var results: [QoS?] = []
        while let code = body.readInteger(as: UInt8.self) {
            if code == 0x80 {
                results.append(nil)
            } else if let qos = QoS(rawValue: code) {
                results.append(qos)
            } else {
                throw .malformed("SUBACK return code \(code) is reserved")
            }
        }
        return SubAck(packetID: packetID, results: results)
    }

    private static func unsubscribe(_ body: inout ByteBuffer) throws(PacketError) -> Unsubscribe {
        let packetID = try body.readPacketID("UNSUBSCRIBE")
        guard packetID != 0 else { throw .malformed("packet identifier 0") }
        var filters: [String] = []
        while body.readableBytes > 0 {
            let filter = try body.readMQTTString("topic filter")
            guard !filter.isEmpty else { throw .malformed("an empty topic filter") }
            filters.append(filter)
        }
        guard !filters.isEmpty else { throw .malformed("UNSUBSCRIBE without a topic filter") }
        return Unsubscribe(packetID: packetID, filters: filters)
    }

    /// §4.7.3 and [MQTT-3.3.2-2]: a topic name is at least one character and has no wildcard.
    private static func checkTopicName(_ topic: String, _ what: String) throws(PacketError) {
        guard !topic.isEmpty else { throw .malformed("an empty \(what)") }
        guard !topic.utf8.contains(where: { $0 == UInt8(ascii: "+") || $0 == UInt8(ascii: "#") }) else {
            throw .malformed("a wildcard in the \(what) '\(topic)'")
        }
    }
}
