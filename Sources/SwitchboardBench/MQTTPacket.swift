import NIOCore

/// The few MQTT 3.1.1 control packets (OASIS standard, 2014) a fan-out run needs,
/// written and split by hand: CONNECT/CONNACK, SUBSCRIBE/SUBACK, PUBLISH at QoS 0,
/// PINGREQ and DISCONNECT. Splitting works in place on the receive buffer, like
/// `WebSocketFrameScanner`, because subscribers must keep up with millions of
/// packets per second on one core.
enum MQTTPacket {
    /// Packet types, the high nibble of the first byte (§2.2.1).
    enum Kind {
        static let connack: UInt8 = 2
        static let publish: UInt8 = 3
        static let suback: UInt8 = 9
        static let pingresp: UInt8 = 13
    }

    /// One complete packet found by `scan`.
    struct Packet {
        /// The first byte: type in the high nibble, flags in the low one.
        let first: UInt8
        /// The variable header and payload (the "remaining length" bytes).
        let body: UnsafeRawBufferPointer

        var kind: UInt8 { first >> 4 }
    }

    enum Failure: Error {
        /// §2.2.3: the remaining length takes at most four bytes.
        case malformedLength
        case packetTooLarge(Int)
    }

    // MARK: Splitting

    /// The fixed header at the start of `bytes`: its size and the remaining length;
    /// nil while it is incomplete.
    @inline(__always)
    private static func fixedHeader(_ bytes: UnsafeRawBufferPointer, at p: Int) throws(Failure) -> (size: Int, remaining: Int)? {
        var remaining = 0
        for k in 0..<4 {
            guard p + 1 + k < bytes.count else { return nil }
            let byte = bytes[p + 1 + k]
            remaining |= Int(byte & 0x7F) << (7 * k)
            if byte & 0x80 == 0 { return (2 + k, remaining) }
        }
        throw .malformedLength
    }

    /// The complete packet at `p` in `bytes`, and where it ends; nil while it is incomplete.
    @inline(__always)
    static func next(_ bytes: UnsafeRawBufferPointer, at p: Int, maxPacketSize: Int) throws(Failure) -> (packet: Packet, end: Int)? {
        guard let header = try fixedHeader(bytes, at: p) else { return nil }
        guard header.remaining <= maxPacketSize else { throw .packetTooLarge(header.remaining) }
        let start = p + header.size
        guard bytes.count - start >= header.remaining else { return nil }
        let body = UnsafeRawBufferPointer(rebasing: bytes[start..<start + header.remaining])
        return (Packet(first: bytes[p], body: body), start + header.remaining)
    }

    /// Calls `body` for each complete packet at the start of `bytes` and returns how
    /// many bytes they took; an incomplete packet at the end is left for later.
    @inline(__always)
    static func scan(_ bytes: UnsafeRawBufferPointer, maxPacketSize: Int, _ body: (Packet) -> Void) throws(Failure) -> Int {
        var p = 0
        while let (packet, end) = try next(bytes, at: p, maxPacketSize: maxPacketSize) {
            body(packet)
            p = end
        }
        return p
    }

    /// How many more bytes the packet at the start of `bytes` needs before `scan`
    /// can take it (0: it is complete, or invalid, which `scan` reports). Never more
    /// than the packet still lacks: while its length is incomplete, one byte.
    static func missingBytes(_ bytes: UnsafeRawBufferPointer, maxPacketSize: Int) -> Int {
        guard bytes.count >= 2 else { return 2 - bytes.count }
        do {
            guard let header = try fixedHeader(bytes, at: 0) else { return 1 }  // the length goes on
            guard header.remaining <= maxPacketSize else { return 0 }
            return max(0, header.size + header.remaining - bytes.count)
        } catch {
            return 0
        }
    }

    /// The application message of a PUBLISH packet's `body`: after the topic name,
    /// and at QoS 1 or 2 after the packet identifier. Nil if the body is too short.
    @inline(__always)
    static func publishPayload(_ packet: Packet) -> UnsafeRawBufferPointer? {
        let body = packet.body
        guard body.count >= 2 else { return nil }
        var start = 2 + (Int(body[0]) << 8 | Int(body[1]))
        if packet.first & 0x06 != 0 { start += 2 }  // QoS > 0: packet identifier
        guard start <= body.count else { return nil }
        return UnsafeRawBufferPointer(rebasing: body[start...])
    }

    // MARK: Writing

    /// Keep-alive the client announces in CONNECT. Mosquitto ≥ 2.0.12 and other
    /// brokers refuse 0 from 3.1.1 clients, so the connections ping (`MQTTConnector`).
    static let keepAliveSeconds: UInt16 = 60

    /// CONNECT (§3.1): protocol "MQTT" level 4, clean session, no will, no credentials.
    static func connect(clientID: String, allocator: ByteBufferAllocator) -> ByteBuffer {
        var body = allocator.buffer(capacity: 16 + clientID.utf8.count)
        writeString("MQTT", into: &body)
        body.writeInteger(UInt8(4))  // protocol level: 3.1.1
        body.writeInteger(UInt8(0x02))  // connect flags: clean session
        body.writeInteger(keepAliveSeconds)
        writeString(clientID, into: &body)
        return packet(first: 0x10, body: body, allocator: allocator)
    }

    /// SUBSCRIBE (§3.8) to one topic filter at QoS 0; the fixed header's flags must be 0010.
    static func subscribe(packetID: UInt16, topic: String, allocator: ByteBufferAllocator) -> ByteBuffer {
        var body = allocator.buffer(capacity: 5 + topic.utf8.count)
        body.writeInteger(packetID)
        writeString(topic, into: &body)
        body.writeInteger(UInt8(0))  // requested QoS
        return packet(first: 0x82, body: body, allocator: allocator)
    }

    /// PINGREQ (§3.12).
    static let pingRequest = ByteBuffer(bytes: [0xC0, 0x00])

    /// DISCONNECT (§3.14).
    static let disconnect = ByteBuffer(bytes: [0xE0, 0x00])

    /// The bytes the fixed header takes for a remaining length of `length` (§2.2.3).
    static func lengthSize(_ length: Int) -> Int { length < 128 ? 1 : length < 16_384 ? 2 : length < 2_097_152 ? 3 : 4 }

    /// Writes the remaining length `length` at `index`; returns the bytes it took.
    @discardableResult
    static func setLength(_ length: Int, at index: Int, in buffer: inout ByteBuffer) -> Int {
        var rest = length, at = index
        repeat {
            let digit = UInt8(rest & 0x7F)
            rest >>= 7
            buffer.setInteger(rest > 0 ? digit | 0x80 : digit, at: at)
            at += 1
        } while rest > 0
        return at - index
    }

    /// A UTF-8 string: two-byte length, then the bytes (§1.5.3).
    private static func writeString(_ string: String, into buffer: inout ByteBuffer) {
        buffer.writeInteger(UInt16(string.utf8.count))
        buffer.writeString(string)
    }

    /// A fixed header around `body`.
    private static func packet(first: UInt8, body: ByteBuffer, allocator: ByteBufferAllocator) -> ByteBuffer {
        var buffer = allocator.buffer(capacity: 5 + body.readableBytes)
        buffer.writeInteger(first)
        buffer.writeRepeatingByte(0, count: lengthSize(body.readableBytes))
        setLength(body.readableBytes, at: 1, in: &buffer)
        buffer.writeImmutableBuffer(body)
        return buffer
    }
}
