public import NIOCore

/// Writes a topic's messages in their wire forms: the envelope
/// `{"topic":…,"seq":…,"ts":…,"from":…,"data":…}` and the WebSocket text frames
/// built around it.
///
/// The quoted topic is prepared once, so a replay writes thousands of stored
/// messages of one topic into one buffer without a `Message` (and its four
/// buffers) per row; `Message` uses the same encoder for its frames.
public struct EnvelopeEncoder: Sendable {
    /// The three frames a subscriber may ask for.
    public enum FrameKind: Sendable {
        /// `{"op":"msg",…envelope fields…}` on `/ws`.
        case op
        /// The envelope alone, on `/ws/sub`.
        case envelope
        /// The message's `data` alone, on `/ws/sub?format=data`.
        case data
    }

    /// `"topic":"<name>","seq":`, the constant start of every envelope of the topic.
    private let head: [UInt8]

    public init(topic: Topic) {
        var head = "\"topic\":"
        JSONValue.appendQuoted(topic.name, to: &head)
        head += ",\"seq\":"
        self.head = Array(head.utf8)
    }

    /// The envelope as a bare JSON object.
    public func writeEnvelope(seq: Int64, ts: Int64, from: String?, data: ByteBuffer, to buffer: inout ByteBuffer) {
        buffer.writeStaticString("{")
        self.writeFields(seq: seq, ts: ts, from: from, data: data, to: &buffer)
    }

    /// A whole text frame of `kind`.
    public func writeFrame(_ kind: FrameKind, seq: Int64, ts: Int64, from: String?, data: ByteBuffer, to buffer: inout ByteBuffer) {
        switch kind {
        case .data:
            WebSocketFraming.writeTextHeader(length: data.readableBytes, to: &buffer)
            buffer.writeImmutableBuffer(data)
        case .envelope, .op:
            let quotedFrom = from.map { from -> String in
                var quoted = ""
                JSONValue.appendQuoted(from, to: &quoted)
                return quoted
            }
            // {"op":"msg", is 12 bytes; `{` is 1.
            let opening = kind == .op ? 12 : 1
            let length = opening + self.head.count + Self.digits(seq) + 6 + Self.digits(ts)
                + (quotedFrom.map { 8 + $0.utf8.count } ?? 0) + 8 + data.readableBytes + 1
            WebSocketFraming.writeTextHeader(length: length, to: &buffer)
            // One capacity check and one copy per piece: a replay writes a million of these.
            buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: length) { out in
                var cursor = FrameCursor(out)
                cursor.append(kind == .op ? "{\"op\":\"msg\"," : "{")
                self.head.withUnsafeBytes { cursor.append($0) }
                cursor.appendDecimal(seq)
                cursor.append(",\"ts\":")
                cursor.appendDecimal(ts)
                if var quotedFrom {
                    cursor.append(",\"from\":")
                    quotedFrom.withUTF8 { cursor.append(UnsafeRawBufferPointer($0)) }
                }
                cursor.append(",\"data\":")
                data.withUnsafeReadableBytes { cursor.append($0) }
                cursor.append("}")
                assert(cursor.offset == length)
                return cursor.offset
            }
        }
    }

    /// Appends to memory already reserved for a whole frame.
    private struct FrameCursor {
        let out: UnsafeMutableRawBufferPointer
        var offset = 0

        init(_ out: UnsafeMutableRawBufferPointer) { self.out = out }

        mutating func append(_ bytes: UnsafeRawBufferPointer) {
            guard let base = bytes.baseAddress, bytes.count > 0 else { return }
            (self.out.baseAddress! + self.offset).copyMemory(from: base, byteCount: bytes.count)
            self.offset += bytes.count
        }

        mutating func append(_ text: StaticString) {
            text.withUTF8Buffer { self.append(UnsafeRawBufferPointer($0)) }
        }

        mutating func appendDecimal(_ value: Int64) {
            let count = EnvelopeEncoder.digits(value)
            var rest = value.magnitude
            var index = self.offset + count
            repeat {
                index -= 1
                self.out[index] = UInt8(truncatingIfNeeded: rest % 10) &+ UInt8(ascii: "0")
                rest /= 10
            } while rest > 0
            if value < 0 { self.out[self.offset] = UInt8(ascii: "-") }
            self.offset += count
        }
    }

    private func writeFields(seq: Int64, ts: Int64, from: String?, data: ByteBuffer, to buffer: inout ByteBuffer) {
        let quotedFrom = from.map { from -> String in
            var quoted = ""
            JSONValue.appendQuoted(from, to: &quoted)
            return quoted
        }
        self.writeFields(seq: seq, ts: ts, quotedFrom: quotedFrom, data: data, to: &buffer)
    }

    /// Everything after the opening brace: `"topic":…,"seq":…,"ts":…[,"from":…],"data":…}`.
    private func writeFields(seq: Int64, ts: Int64, quotedFrom: String?, data: ByteBuffer, to buffer: inout ByteBuffer) {
        buffer.writeBytes(self.head)
        Self.writeDecimal(seq, to: &buffer)
        buffer.writeStaticString(",\"ts\":")
        Self.writeDecimal(ts, to: &buffer)
        if let quotedFrom {
            buffer.writeStaticString(",\"from\":")
            buffer.writeString(quotedFrom)
        }
        buffer.writeStaticString(",\"data\":")
        buffer.writeImmutableBuffer(data)
        buffer.writeStaticString("}")
    }

    /// `value` in decimal ASCII, written straight into the buffer (no `String` per number: a replay
    /// writes two per message).
    static func writeDecimal(_ value: Int64, to buffer: inout ByteBuffer) {
        let count = Self.digits(value)
        buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: count) { bytes in
            var rest = value.magnitude
            var index = count
            repeat {
                index -= 1
                bytes[index] = UInt8(truncatingIfNeeded: rest % 10) &+ UInt8(ascii: "0")
                rest /= 10
            } while rest > 0
            if value < 0 { bytes[0] = UInt8(ascii: "-") }
            return count
        }
    }

    /// Decimal digits of `value`, with the sign.
    static func digits(_ value: Int64) -> Int {
        var count = value < 0 ? 2 : 1
        var rest = value.magnitude / 10
        while rest > 0 {
            count += 1
            rest /= 10
        }
        return count
    }
}
