/// Why a Redis command or connection failed.
public struct RedisError: Error, Sendable, CustomStringConvertible {
    public enum Kind: Sendable {
        /// No connection now (down, reconnecting, or closed); the command was not sent or its reply is lost.
        case unavailable
        /// Redis answered with an error reply; `message` is Redis's text (e.g. `WRONGTYPE Operation against…`).
        case server
        /// Redis sent bytes that are not RESP2 or not what the command expects; the connection is closed.
        case protocolViolation
        /// No reply within `RedisConfiguration.commandTimeout`; the connection is closed.
        case timeout
    }

    public let kind: Kind
    public let message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { "redis \(self.kind): \(self.message)" }

    static func unavailable(_ message: String) -> RedisError { RedisError(.unavailable, message) }
    static func server(_ message: String) -> RedisError { RedisError(.server, message) }
    static func protocolViolation(_ message: String) -> RedisError { RedisError(.protocolViolation, message) }
    static func timeout(_ message: String) -> RedisError { RedisError(.timeout, message) }
}
