import Foundation
import NIOCore
import SwitchboardCore

/// How MQTT payloads (bytes) become a message's `data` (JSON) and back.
///
/// - A payload that is JSON is `data` as it is: `{"v":21.5}`, `21.5`, `"on"`.
/// - Any other UTF-8 text is `{"$text":"<the text>"}`, e.g. `on` → `{"$text":"on"}`.
/// - Anything else (binary) is `{"$base64":"<standard base64>"}`.
///
/// MQTT subscribers get the original bytes back: `data` that is exactly one
/// `$text` or `$base64` member is unwrapped, any other `data` is sent as its
/// JSON text. A JSON payload that happens to have that very shape is itself
/// stored as `$text`, so every payload survives the round trip byte for byte.
enum MQTTPayload {
    /// The `data` to store for `payload`.
    static func data(from payload: ByteBuffer) -> ByteBuffer {
        if payload.readableBytes > 0, (try? JSONParser.validate(payload)) != nil, Self.wrapped(payload) == nil {
            return payload
        }
        let bytes = Array(payload.readableBytesView)
        if let text = String(validating: bytes, as: UTF8.self) {
            var json = #"{"$text":"#
            JSONValue.appendQuoted(text, to: &json)
            return ByteBuffer(string: json + "}")
        }
        return ByteBuffer(string: #"{"$base64":""# + Data(bytes).base64EncodedString() + #""}"#)
    }

    /// The bytes an MQTT subscriber receives for `data`.
    static func payload(from data: ByteBuffer) -> ByteBuffer {
        Self.wrapped(data) ?? data
    }

    /// The bytes inside `data` when it is exactly `{"$text":…}` or `{"$base64":…}`; `nil` otherwise.
    static func wrapped(_ data: ByteBuffer) -> ByteBuffer? {
        // Cheap test first: every message passes here on its way to MQTT subscribers.
        let view = data.readableBytesView
        guard let brace = view.firstIndex(where: { $0 != 0x20 && $0 != 0x0A && $0 != 0x0D && $0 != 0x09 }), view[brace] == UInt8(ascii: "{"),
            view.prefix(32).contains(UInt8(ascii: "$"))
        else { return nil }
        guard let value = try? JSONParser.parse(data), case .object(let members) = value, members.count == 1,
            case .string(let text) = members[0].1
        else { return nil }
        switch members[0].0 {
        case "$text": return ByteBuffer(string: text)
        case "$base64":
            guard let decoded = Data(base64Encoded: text) else { return nil }
            return ByteBuffer(bytes: decoded)
        default: return nil
        }
    }
}
