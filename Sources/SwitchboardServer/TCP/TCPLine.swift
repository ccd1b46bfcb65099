import Foundation
import NIOCore
import SwitchboardCore

/// What one line of the TCP protocol carries, before it is acted on: JSON as sent,
/// or base64 of JSON (as ESP32 firmware often sends). Kept apart from
/// ``TCPLineConnection`` so the libFuzzer harness in Tests/Fuzz can compile it alone.
enum TCPLine {
    enum Encoding { case json, base64 }

    enum Payload: Equatable {
        /// Nothing but spaces and tabs: ignored.
        case blank
        /// JSON text (decoded from base64 when `encoding` is `.base64`), to be parsed.
        case text(ByteBuffer, Encoding)
        /// Neither JSON starting with `{` or `[` nor base64 of such JSON.
        case notBase64
    }

    /// Trims spaces and tabs; a line starting with `{` or `[` is JSON, anything else must be base64 of such JSON.
    static func payload(of rawLine: ByteBuffer) -> Payload {
        var line = rawLine
        while let first = line.readableBytesView.first, first == 0x20 || first == 0x09 { line.moveReaderIndex(forwardBy: 1) }
        while let last = line.readableBytesView.last, last == 0x20 || last == 0x09 { line.moveWriterIndex(to: line.writerIndex - 1) }
        guard let first = line.readableBytesView.first else { return .blank }
        if first == UInt8(ascii: "{") || first == UInt8(ascii: "[") { return .text(line, .json) }
        guard let decoded = Self.decodeBase64(line) else { return .notBase64 }
        return .text(decoded, .base64)
    }

    /// Decodes standard or URL-safe base64, padding optional; `nil` unless it decodes to text starting with `{` or `[`.
    static func decodeBase64(_ line: ByteBuffer) -> ByteBuffer? {
        var text = String(buffer: line).replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        if text.count % 4 != 0 { text += String(repeating: "=", count: 4 - text.count % 4) }
        guard let data = Data(base64Encoded: text) else { return nil }
        guard let first = data.first, first == UInt8(ascii: "{") || first == UInt8(ascii: "[") else { return nil }
        return ByteBuffer(bytes: data)
    }
}
