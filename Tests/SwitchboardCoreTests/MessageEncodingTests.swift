import Foundation
import NIOCore
import SwitchboardCore
import Testing

/// `Message` wire forms and `WebSocketFraming` (RFC 6455 §5.2: FIN, opcode, no mask from a server,
/// 7-bit length < 126, 126 + 16-bit length up to 65535, 127 + 64-bit length above).
@Suite("Message encodings and WebSocket framing")
struct MessageEncodingTests {
    struct Frame {
        var fin: Bool
        var opcode: UInt8
        var masked: Bool
        var lengthEncoding: Int  // 7, 16 or 64 bits
        var headerLength: Int
        var declaredLength: UInt64
        var payload: [UInt8]
    }

    /// Decodes one frame, requiring the buffer to hold exactly that frame.
    static func decode(_ buffer: ByteBuffer, sourceLocation: SourceLocation = #_sourceLocation) -> Frame? {
        let bytes = buffer.bytes
        guard bytes.count >= 2 else {
            Issue.record("frame shorter than 2 bytes", sourceLocation: sourceLocation)
            return nil
        }
        let length7 = bytes[1] & 0x7F
        var header = 2
        var declared = UInt64(length7)
        var encoding = 7
        if length7 == 126 {
            guard bytes.count >= 4 else { return nil }
            declared = UInt64(bytes[2]) << 8 | UInt64(bytes[3])
            header = 4
            encoding = 16
        } else if length7 == 127 {
            guard bytes.count >= 10 else { return nil }
            declared = bytes[2..<10].reduce(0) { $0 << 8 | UInt64($1) }
            header = 10
            encoding = 64
        }
        let masked = bytes[1] & 0x80 != 0
        if masked { header += 4 }
        let payload = Array(bytes[min(header, bytes.count)...])
        #expect(UInt64(payload.count) == declared, "header declares \(declared) payload bytes, the frame carries \(payload.count)", sourceLocation: sourceLocation)
        return Frame(
            fin: bytes[0] & 0x80 != 0, opcode: bytes[0] & 0x0F, masked: masked, lengthEncoding: encoding,
            headerLength: header, declaredLength: declared, payload: payload
        )
    }

    /// Checks a server text frame and its length encoding; returns the payload.
    static func textPayload(_ buffer: ByteBuffer, sourceLocation: SourceLocation = #_sourceLocation) -> [UInt8] {
        guard let frame = Self.decode(buffer, sourceLocation: sourceLocation) else { return [] }
        #expect(frame.fin, sourceLocation: sourceLocation)
        #expect(frame.opcode == 0x1, sourceLocation: sourceLocation)
        #expect(buffer.bytes[0] & 0x70 == 0, "RSV bits set", sourceLocation: sourceLocation)
        #expect(!frame.masked, "a server must not mask", sourceLocation: sourceLocation)
        // The minimal length encoding, as RFC 6455 requires.
        let expected = frame.payload.count < 126 ? 7 : frame.payload.count <= 65_535 ? 16 : 64
        #expect(frame.lengthEncoding == expected, "payload \(frame.payload.count) bytes uses the \(frame.lengthEncoding)-bit length", sourceLocation: sourceLocation)
        if frame.lengthEncoding == 64 { #expect(frame.declaredLength >> 63 == 0, sourceLocation: sourceLocation) }
        #expect(String(validating: frame.payload, as: UTF8.self) != nil, "text frame payload is not UTF-8", sourceLocation: sourceLocation)
        return frame.payload
    }

    static let topic = try! Topic(validating: "lab/temp")

    // MARK: Envelope

    @Test(arguments: [0, 7, 9, 10, 99, 100, -1, -10, 1_763_712_000_123, Int64.max, Int64.min] as [Int64])
    func seqAndTsAreWrittenAsJSONIntegers(_ value: Int64) throws {
        let encoder = EnvelopeEncoder(topic: Topic(trusted: "lab/n"))
        var buffer = ByteBuffer()
        encoder.writeEnvelope(seq: value, ts: value, from: nil, data: ByteBuffer(string: "1"), to: &buffer)
        #expect(String(buffer: buffer) == #"{"topic":"lab/n","seq":\#(value),"ts":\#(value),"data":1}"#)
        for (kind, opening) in [(EnvelopeEncoder.FrameKind.envelope, "{"), (.op, #"{"op":"msg","#)] {
            var frame = ByteBuffer()
            encoder.writeFrame(kind, seq: value, ts: value, from: "dev \"1\"", data: ByteBuffer(string: "[2]"), to: &frame)
            let payload = try #require(Self.decode(frame)).payload
            #expect(String(decoding: payload, as: UTF8.self)
                == opening + #""topic":"lab/n","seq":\#(value),"ts":\#(value),"from":"dev \"1\"","data":[2]}"#)
        }
    }

    @Test("envelope is exactly topic, seq, ts, from, data")
    func envelope() throws {
        let message = Message(topic: Self.topic, seq: 42, ts: 1_763_712_000_123, from: "esp32-1", data: ByteBuffer(string: "{\"v\":21.5}"))
        #expect(message.envelope.text == "{\"topic\":\"lab/temp\",\"seq\":42,\"ts\":1763712000123,\"from\":\"esp32-1\",\"data\":{\"v\":21.5}}")
        #expect(message.envelopeText == message.envelope.text)
        #expect(message.topic == Self.topic && message.seq == 42 && message.ts == 1_763_712_000_123 && message.from == "esp32-1")
        #expect(message.data.text == "{\"v\":21.5}")
    }

    @Test("envelope without from")
    func envelopeWithoutFrom() {
        let message = Message(topic: Self.topic, seq: 1, ts: 0, from: nil, data: ByteBuffer(string: "21.50"))
        #expect(message.envelope.text == "{\"topic\":\"lab/temp\",\"seq\":1,\"ts\":0,\"data\":21.50}")
        #expect(!message.envelope.text.contains("from"))
    }

    @Test("data is embedded byte for byte")
    func dataByteExact() throws {
        for data in ["{\"v\": 21.50 , \"u\":\"°C\"}", "[1, 2,3]", "\"a\\u00e9\\n\"", "null", "-0.0e+0", "{\"nested\":{\"a\":[{}]}}"] {
            let message = Message(topic: Self.topic, seq: 7, ts: 8, from: "x", data: ByteBuffer(string: data))
            #expect(message.envelope.text.hasSuffix(",\"data\":\(data)}"))
            let parsed = try JSONParser.parseObject(message.envelope, rawKeys: ["data"])
            #expect(parsed.raw["data"]?.text == data)
            #expect(parsed.fields == .object([("topic", .string("lab/temp")), ("seq", .number("7")), ("ts", .number("8")), ("from", .string("x"))]))
        }
    }

    @Test("from and system topics are escaped and valid JSON")
    func escaping() throws {
        let topic = try Topic(validating: "$sys/sources", allowSystem: true)
        let from = "dev \"1\"\\\n\u{1}é😀"
        let message = Message(topic: topic, seq: Int64.max, ts: -1, from: from, data: ByteBuffer(string: "{}"))
        let value = try JSONParser.parse(message.envelope)
        #expect(value["topic"]?.stringValue == "$sys/sources")
        #expect(value["from"]?.stringValue == from)
        #expect(value["seq"]?.int64Value == Int64.max)
        #expect(value["ts"]?.int64Value == -1)
        #expect(value.objectValue?.map(\.0) == ["topic", "seq", "ts", "from", "data"])
        // Foundation agrees that it is JSON.
        let object = try JSONSerialization.jsonObject(with: Data(message.envelope.bytes)) as? [String: Any]
        #expect(object?["from"] as? String == from)
    }

    // MARK: Frames

    /// A message whose `{"op":"msg",…}` payload is exactly `length` bytes (data is a JSON string of the right size).
    static func message(opPayloadLength length: Int, from: String? = "esp32-1") -> Message {
        let probe = Message(topic: Self.topic, seq: 42, ts: 1_763_712_000_123, from: from, data: ByteBuffer(string: "\"\""))
        // op payload = "{\"op\":\"msg\"," + envelope without its "{".
        let overhead = 12 + probe.envelope.readableBytes - 1
        let fill = length - overhead
        precondition(fill >= 0)
        return Message(topic: Self.topic, seq: 42, ts: 1_763_712_000_123, from: from, data: ByteBuffer(string: "\"" + String(repeating: "x", count: fill) + "\""))
    }

    static let payloadLengths = [90, 125, 126, 127, 1_000, 65_535, 65_536, 70_000, 1_048_576]

    @Test("frames.op is a text frame carrying {\"op\":\"msg\",…envelope…}", arguments: payloadLengths)
    func opFrame(length: Int) throws {
        let message = Self.message(opPayloadLength: length)
        let expectedPayload = "{\"op\":\"msg\"," + String(message.envelope.text.dropFirst())
        #expect(expectedPayload.utf8.count == length)
        let payload = Self.textPayload(message.frames.op)
        #expect(payload.count == length)
        #expect(payload == Array(expectedPayload.utf8), "op frame payload differs (first 40 bytes: \(describe(Array(payload.prefix(40)))))")
        let value = try JSONParser.parse(ByteBuffer(bytes: payload))
        #expect(value.objectValue?.map(\.0) == ["op", "topic", "seq", "ts", "from", "data"])
        #expect(value["op"]?.stringValue == "msg")
    }

    /// Regression (fixed in 2327651): the header of `frames.op` declared one byte fewer than its
    /// payload (`{"op":"msg",` counted as 11 bytes), so a client's frame ended before the closing `}`.
    @Test("frames.op declares its payload length exactly", arguments: payloadLengths)
    func opFrameLength(length: Int) throws {
        let message = Self.message(opPayloadLength: length)
        let frame = try #require(Self.decode(message.frames.op))
        #expect(frame.declaredLength == UInt64(frame.payload.count), "declared \(frame.declaredLength), carries \(frame.payload.count)")
        #expect(frame.headerLength + Int(frame.declaredLength) == message.frames.op.readableBytes)
    }

    @Test("frames.envelope and frames.data wrap the envelope and the data", arguments: payloadLengths)
    func envelopeAndDataFrames(length: Int) {
        let message = Self.message(opPayloadLength: length, from: nil)
        #expect(Self.textPayload(message.frames.envelope) == message.envelope.bytes)
        #expect(Self.textPayload(message.frames.data) == message.data.bytes)
    }

    @Test("length encodings at the boundaries")
    func headerBoundaries() throws {
        for (length, header) in [(0, [0x81, 0x00]), (125, [0x81, 125]), (126, [0x81, 126, 0x00, 126]), (65_535, [0x81, 126, 0xFF, 0xFF]),
                                 (65_536, [0x81, 127, 0, 0, 0, 0, 0, 0x01, 0x00, 0x00]), (1 << 20, [0x81, 127, 0, 0, 0, 0, 0, 0x10, 0, 0])] as [(Int, [UInt8])] {
            let frame = WebSocketFraming.textFrame(ByteBuffer(string: String(repeating: "a", count: length)))
            #expect(Array(frame.bytes.prefix(header.count)) == header, "length \(length)")
            #expect(frame.readableBytes == header.count + length)
            var written = ByteBuffer()
            WebSocketFraming.writeTextHeader(length: length, to: &written)
            #expect(written.bytes == header)
        }
        var ping = ByteBuffer()
        WebSocketFraming.writeHeader(opcode: WebSocketFraming.ping, length: 4, to: &ping)
        #expect(ping.bytes == [0x89, 4])
        #expect(WebSocketFraming.frame(opcode: WebSocketFraming.pong, payload: ByteBuffer(string: "hi")).bytes == [0x8A, 2, 0x68, 0x69])
    }

    // MARK: Close frames

    static func closePayload(_ frame: ByteBuffer, sourceLocation: SourceLocation = #_sourceLocation) -> (code: UInt16, reason: [UInt8])? {
        guard let decoded = Self.decode(frame, sourceLocation: sourceLocation) else { return nil }
        #expect(decoded.fin && decoded.opcode == 0x8 && !decoded.masked, sourceLocation: sourceLocation)
        #expect(decoded.lengthEncoding == 7 && decoded.payload.count <= 125, "control frame payload \(decoded.payload.count) bytes", sourceLocation: sourceLocation)
        guard decoded.payload.count >= 2 else { return nil }
        return (UInt16(decoded.payload[0]) << 8 | UInt16(decoded.payload[1]), Array(decoded.payload[2...]))
    }

    @Test("closeFrame carries the code and a short reason unchanged")
    func closeShort() throws {
        let (code, reason) = try #require(Self.closePayload(WebSocketFraming.closeFrame(code: 1013, reason: "outbound queue full")))
        #expect(code == 1013)
        #expect(reason == Array("outbound queue full".utf8))
        let empty = try #require(Self.closePayload(WebSocketFraming.closeFrame(code: 1000, reason: "")))
        #expect(empty.code == 1000 && empty.reason.isEmpty)
        #expect(WebSocketFraming.closeFrame(code: 1000, reason: "").bytes == [0x88, 2, 0x03, 0xE8])
    }

    @Test("closeFrame truncates long reasons at a UTF-8 boundary within 125 bytes", arguments: [
        String(repeating: "a", count: 123), String(repeating: "a", count: 124), String(repeating: "a", count: 500),
        String(repeating: "é", count: 100), "a" + String(repeating: "é", count: 100), String(repeating: "€", count: 60),
        "ab" + String(repeating: "€", count: 60), String(repeating: "😀", count: 40), "a" + String(repeating: "😀", count: 40),
        "aa" + String(repeating: "😀", count: 40), "aaa" + String(repeating: "😀", count: 40),
        String(repeating: "x", count: 122) + "é", String(repeating: "x", count: 121) + "€", String(repeating: "x", count: 120) + "😀",
    ])
    func closeLong(reason: String) throws {
        let (code, bytes) = try #require(Self.closePayload(WebSocketFraming.closeFrame(code: 1013, reason: reason)))
        #expect(code == 1013)
        #expect(bytes.count <= 123)
        let text = try #require(String(validating: bytes, as: UTF8.self), "reason cut inside a UTF-8 sequence")
        #expect(reason.hasPrefix(text))
        // As much as fits: the next whole scalar would not.
        let remainder = reason.unicodeScalars.dropFirst(text.unicodeScalars.count)
        if let next = remainder.first {
            #expect(bytes.count + String(next).utf8.count > 123, "cut too early at \(bytes.count) bytes")
        } else {
            #expect(text == reason)
        }
    }
}
