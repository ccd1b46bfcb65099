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
        self.writeObject(opening: "{", seq: seq, ts: ts, quotedFrom: Self.quoted(from), data: data, to: &buffer)
    }

    /// A whole text frame of `kind`.
    public func writeFrame(_ kind: FrameKind, seq: Int64, ts: Int64, from: String?, data: ByteBuffer, to buffer: inout ByteBuffer) {
        switch kind {
        case .data:
            WebSocketFraming.writeTextHeader(length: data.readableBytes, to: &buffer)
            buffer.writeImmutableBuffer(data)
        case .envelope, .op:
            let quotedFrom = Self.quoted(from)
            let opening: StaticString = kind == .op ? "{\"op\":\"msg\"," : "{"
            let length = self.objectLength(opening: opening, seq: seq, ts: ts, quotedFrom: quotedFrom, data: data)
            WebSocketFraming.writeTextHeader(length: length, to: &buffer)
            self.writeObject(opening: opening, seq: seq, ts: ts, quotedFrom: quotedFrom, data: data, to: &buffer)
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
    private func objectLength(opening: StaticString, seq: Int64, ts: Int64, quotedFrom: String?, data: ByteBuffer) -> Int {
        // `,"ts":` is 6 bytes, `,"from":` and `,"data":` 8, the closing brace 1.
        opening.utf8CodeUnitCount + self.head.count + Self.digits(seq) + 6 + Self.digits(ts)
            + (quotedFrom.map { 8 + $0.utf8.count } ?? 0) + 8 + data.readableBytes + 1
    }

    /// Writes the object in one pass into memory reserved for all of it: one capacity check and
    /// one copy per piece, no `String` per number (a replay writes a million of these).
    private func writeObject(
        opening: StaticString, seq: Int64, ts: Int64, quotedFrom: String?, data: ByteBuffer, to buffer: inout ByteBuffer
    ) {
        let length = self.objectLength(opening: opening, seq: seq, ts: ts, quotedFrom: quotedFrom, data: data)
        buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: length) { out in
            var cursor = Cursor(out)
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
            data.withUnsafeReadableBytes { cursor.append($0) }
            cursor.append("}")
            assert(cursor.offset == length)
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
