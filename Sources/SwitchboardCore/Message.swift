public import NIOCore

/// A committed message: what every subscriber receives.
///
/// Its wire forms are encoded once, when the message is committed, and the
/// same bytes are written to every subscriber (no per-subscriber encoding).
public final class Message: Sendable {
    public let topic: Topic
    /// Per-topic sequence number: starts at 1, gap-free, never reused.
    public let seq: Int64
    /// Hub receive time, milliseconds since the Unix epoch.
    public let ts: Int64
    /// The publishing client or device, when known.
    public let from: String?
    /// The message's `data`, exactly as the publisher sent it (valid JSON).
    public let data: ByteBuffer
    /// `{"topic":…,"seq":…,"ts":…,"from":…,"data":…}`.
    public let envelope: ByteBuffer
    /// Ready-to-write WebSocket text frames: `{"op":"msg",…envelope…}`, the envelope, and the data alone.
    public let frames: Frames

    /// Unmasked server-to-client WebSocket frames of this message (RFC 6455 §5.2).
    public struct Frames: Sendable {
        public let op: ByteBuffer
        public let envelope: ByteBuffer
        public let data: ByteBuffer
    }

    public convenience init(topic: Topic, seq: Int64, ts: Int64, from: String?, data: ByteBuffer) {
        self.init(topic: topic, seq: seq, ts: ts, from: from, data: data, encoder: EnvelopeEncoder(topic: topic))
    }

    /// With the topic's encoder, prepared once for many messages.
    ///
    /// All four forms are written into one buffer and sliced from it: one allocation per
    /// message, and `data` becomes the data frame's payload, so the message no longer
    /// holds on to the buffer the publisher's bytes were read into (often a whole socket read).
    public init(topic: Topic, seq: Int64, ts: Int64, from: String?, data: ByteBuffer, encoder: EnvelopeEncoder) {
        self.topic = topic
        self.seq = seq
        self.ts = ts
        self.from = from
        var buffer = ByteBuffer()
        buffer.reserveCapacity(4 * (data.readableBytes + 64 + topic.name.utf8.count + (from?.utf8.count ?? 0)))
        let (envelopeEnd, opFrameEnd, envelopeFrameEnd) = data.withUnsafeReadableBytes { bytes in
            encoder.writeEnvelope(seq: seq, ts: ts, from: from, data: bytes, to: &buffer)
            let envelopeEnd = buffer.writerIndex
            encoder.writeFrame(.op, seq: seq, ts: ts, from: from, data: bytes, to: &buffer)
            let opFrameEnd = buffer.writerIndex
            encoder.writeFrame(.envelope, seq: seq, ts: ts, from: from, data: bytes, to: &buffer)
            let envelopeFrameEnd = buffer.writerIndex
            encoder.writeFrame(.data, seq: seq, ts: ts, from: from, data: bytes, to: &buffer)
            return (envelopeEnd, opFrameEnd, envelopeFrameEnd)
        }
        let end = buffer.writerIndex
        func slice(_ start: Int, _ end: Int) -> ByteBuffer { buffer.getSlice(at: start, length: end - start)! }
        self.envelope = slice(0, envelopeEnd)
        self.frames = Frames(
            op: slice(envelopeEnd, opFrameEnd), envelope: slice(opFrameEnd, envelopeFrameEnd), data: slice(envelopeFrameEnd, end))
        self.data = slice(end - data.readableBytes, end)
    }

    /// The envelope as a JSON value (for HTTP answers that embed it).
    public var envelopeText: String { String(buffer: self.envelope) }
}

/// Builds unmasked WebSocket frames, as a server sends them, so that one
/// encoded frame can be written to many connections.
public enum WebSocketFraming {
    /// Opcode of a text frame.
    public static let text: UInt8 = 0x1
    /// Opcode of a close frame.
    public static let close: UInt8 = 0x8
    /// Opcode of a ping frame.
    public static let ping: UInt8 = 0x9
    /// Opcode of a pong frame.
    public static let pong: UInt8 = 0xA

    /// Writes the header of a final, unmasked frame with `opcode` and a payload of `length` bytes.
    public static func writeHeader(opcode: UInt8, length: Int, to buffer: inout ByteBuffer) {
        buffer.writeInteger(0x80 | opcode)
        if length < 126 {
            buffer.writeInteger(UInt8(length))
        } else if length <= Int(UInt16.max) {
            buffer.writeInteger(UInt8(126))
            buffer.writeInteger(UInt16(length))
        } else {
            buffer.writeInteger(UInt8(127))
            buffer.writeInteger(UInt64(length))
        }
    }

    public static func writeTextHeader(length: Int, to buffer: inout ByteBuffer) {
        writeHeader(opcode: text, length: length, to: &buffer)
    }

    /// A whole frame with `opcode` around `payload`.
    public static func frame(opcode: UInt8, payload: ByteBuffer) -> ByteBuffer {
        var buffer = ByteBuffer()
        buffer.reserveCapacity(payload.readableBytes + 10)
        writeHeader(opcode: opcode, length: payload.readableBytes, to: &buffer)
        buffer.writeImmutableBuffer(payload)
        return buffer
    }

    /// A whole text frame around `payload`.
    public static func textFrame(_ payload: ByteBuffer) -> ByteBuffer {
        frame(opcode: text, payload: payload)
    }

    /// A close frame with a status `code` and a `reason` (truncated to fit the 125-byte limit).
    public static func closeFrame(code: UInt16, reason: String) -> ByteBuffer {
        var payload = ByteBuffer()
        payload.writeInteger(code)
        var reasonBytes = Array(reason.utf8.prefix(123))
        while !reasonBytes.isEmpty, String(validating: reasonBytes, as: UTF8.self) == nil { reasonBytes.removeLast() }
        payload.writeBytes(reasonBytes)
        return frame(opcode: close, payload: payload)
    }
}
