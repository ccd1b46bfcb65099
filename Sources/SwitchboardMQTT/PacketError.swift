/// Why bytes are not a valid MQTT packet. Each is a reason to close the
/// network connection (MQTT 3.1.1 §4.8: "the receiver MUST close the Network
/// Connection" on a protocol violation or a malformed packet).
public struct PacketError: Error, Hashable, Sendable, CustomStringConvertible {
    /// A stable short code, for logs and metrics: `malformed`, `too_large`, `bad_utf8`, `reserved_flags`, `unsupported_level`.
    public let code: String
    /// What was wrong, for people.
    public let message: String

    public var description: String { "\(self.code): \(self.message)" }

    /// The remaining length takes more than four bytes, or does not fit what the packet holds.
    public static func malformed(_ message: String) -> Self { .init(code: "malformed", message: message) }
    /// The packet is larger than the receiver accepts.
    public static func tooLarge(_ message: String) -> Self { .init(code: "too_large", message: message) }
    /// A string is not well-formed UTF-8 or contains U+0000 (§1.5.3).
    public static func badUTF8(_ message: String) -> Self { .init(code: "bad_utf8", message: message) }
    /// Fixed-header flags or reserved bits that must be zero are not (§2.2.2).
    public static func reservedFlags(_ message: String) -> Self { .init(code: "reserved_flags", message: message) }
    /// A CONNECT with a protocol level this decoder does not speak; the server answers CONNACK 0x01 (§3.1.2.2).
    public static func unsupportedLevel(_ level: UInt8) -> Self {
        .init(code: "unsupported_level", message: "protocol level \(level) is not supported; this server speaks MQTT 3.1.1 (level 4)")
    }
}
