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
        data.withUnsafeReadableBytes { self.writeEnvelope(seq: seq, ts: ts, from: from, data: $0, to: &buffer) }
    }

    /// The envelope as a bare JSON object, `data` given as the bytes of its JSON text.
    public func writeEnvelope(seq: Int64, ts: Int64, from: String?, data: UnsafeRawBufferPointer, to buffer: inout ByteBuffer) {
        self.writeObject(opening: "{", seq: seq, ts: ts, quotedFrom: Self.quoted(from), data: data, framed: false, to: &buffer)
    }

    /// A whole text frame of `kind`.
    public func writeFrame(_ kind: FrameKind, seq: Int64, ts: Int64, from: String?, data: ByteBuffer, to buffer: inout ByteBuffer) {
        data.withUnsafeReadableBytes { self.writeFrame(kind, seq: seq, ts: ts, from: from, data: $0, to: &buffer) }
    }

    /// A whole text frame of `kind`, `data` given as the bytes of its JSON text (a stored row's, say).
    public func writeFrame(_ kind: FrameKind, seq: Int64, ts: Int64, from: String?, data: UnsafeRawBufferPointer, to buffer: inout ByteBuffer) {
        switch kind {
        case .data:
            let headerLength = Cursor.textHeaderLength(data.count)
            buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: headerLength + data.count) { out in
                var cursor = Cursor(out)
                cursor.appendTextHeader(length: data.count)
                cursor.append(data)
                return cursor.offset
            }
        case .envelope, .op:
            let opening: StaticString = kind == .op ? "{\"op\":\"msg\"," : "{"
            self.writeObject(opening: opening, seq: seq, ts: ts, quotedFrom: Self.quoted(from), data: data, framed: true, to: &buffer)
        }
    }

    private static func quoted(_ from: String?) -> String? {
        from.map { from in
            var quoted = ""
            JSONValue.appendQuoted(from, to: &quoted)
            return quoted
        }
    }

    /// Bytes of `opening` + `"topic":…,"seq":…,"ts":…[,"from":…],"data":…}`.
    private func objectLength(opening: StaticString, seq: Int64, ts: Int64, quotedFrom: String?, data: UnsafeRawBufferPointer) -> Int {
        // `,"ts":` is 6 bytes, `,"from":` and `,"data":` 8, the closing brace 1.
        opening.utf8CodeUnitCount + self.head.count + Self.digits(seq) + 6 + Self.digits(ts)
            + (quotedFrom.map { 8 + $0.utf8.count } ?? 0) + 8 + data.count + 1
    }

    /// Writes the object, `framed` in a WebSocket text frame header, in one pass into memory reserved
    /// for all of it: one capacity check and one copy per piece, no `String` per number (a replay
    /// writes a million of these).
    private func writeObject(
        opening: StaticString, seq: Int64, ts: Int64, quotedFrom: String?, data: UnsafeRawBufferPointer, framed: Bool,
        to buffer: inout ByteBuffer
    ) {
        let length = self.objectLength(opening: opening, seq: seq, ts: ts, quotedFrom: quotedFrom, data: data)
        let headerLength = framed ? Cursor.textHeaderLength(length) : 0
        buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: headerLength + length) { out in
            var cursor = Cursor(out)
            if framed { cursor.appendTextHeader(length: length) }
            cursor.append(opening)
            self.head.withUnsafeBytes { cursor.append($0) }
            cursor.appendDecimal(seq)
            cursor.append(",\"ts\":")
            cursor.appendDecimal(ts)
            if var quotedFrom {
                cursor.append(",\"from\":")
                quotedFrom.withUTF8 { cursor.append(UnsafeRawBufferPointer($0)) }
            }
            cursor.append(",\"data\":")
            cursor.append(data)
            cursor.append("}")
            assert(cursor.offset == headerLength + length)
            return cursor.offset
        }
    }

    /// Appends to memory already reserved for a whole object.
    private struct Cursor {
        let out: UnsafeMutableRawBufferPointer
        var offset = 0

        init(_ out: UnsafeMutableRawBufferPointer) { self.out = out }

        mutating func append(_ bytes: UnsafeRawBufferPointer) {
            guard let base = bytes.baseAddress, bytes.count > 0 else { return }
            (self.out.baseAddress! + self.offset).copyMemory(from: base, byteCount: bytes.count)
            self.offset += bytes.count
        }

        /// Bytes of the header of an unmasked text frame of `length` bytes.
        static func textHeaderLength(_ length: Int) -> Int {
            length < 126 ? 2 : length <= Int(UInt16.max) ? 4 : 10
        }

        /// The header of an unmasked, final text frame (RFC 6455 §5.2), as ``WebSocketFraming`` writes it.
        mutating func appendTextHeader(length: Int) {
            self.appendByte(0x80 | WebSocketFraming.text)
            if length < 126 {
                self.appendByte(UInt8(length))
            } else if length <= Int(UInt16.max) {
                self.appendByte(126)
                self.appendBigEndian(UInt64(length), bytes: 2)
            } else {
                self.appendByte(127)
                self.appendBigEndian(UInt64(length), bytes: 8)
            }
        }

        private mutating func appendBigEndian(_ value: UInt64, bytes: Int) {
            for index in (0..<bytes).reversed() {
                self.appendByte(UInt8(truncatingIfNeeded: value >> (8 * index)))
            }
        }

        private mutating func appendByte(_ byte: UInt8) {
            self.out[self.offset] = byte
            self.offset += 1
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

    /// Decimal digits of `value`, with the sign.
    private static func digits(_ value: Int64) -> Int {
        var count = value < 0 ? 2 : 1
        var rest = value.magnitude / 10
        while rest > 0 {
            count += 1
            rest /= 10
        }
        return count
    }
}
