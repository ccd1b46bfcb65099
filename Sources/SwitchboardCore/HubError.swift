/// An error a client can act on: a stable machine-readable ``code`` and a
/// human-readable ``message``. Every transport sends it as
/// `{"code":"…","message":"…"}` (inside `{"op":"error"}`, `{"error":…}` or an HTTP body).
///
/// | code | meaning | HTTP |
/// |---|---|---|
/// | `bad_json` | the input is not valid JSON, or not the expected shape | 400 |
/// | `bad_topic` | a topic or pattern breaks the naming rules | 400 |
/// | `bad_request` | a field is missing or has the wrong type or value | 400 |
/// | `too_large` | a message, frame, line or body exceeds its limit | 413 |
/// | `unknown_op` | a WebSocket `op` the hub does not know | 400 |
/// | `unsupported_media_type` | an HTTP body with a content type the endpoint does not take | 415 |
/// | `unauthorized` | no credentials, or a token that is unknown, revoked or expired | 401 |
/// | `forbidden` | not allowed for these credentials | 403 |
/// | `not_found` | no such topic, method or resource | 404 |
/// | `conflict` | the resource is in a state that forbids this (a finished command, a connection already named, a source name taken) | 409 |
/// | `device_offline` | a command to a known device that is not connected, without `ttl_ms` to queue it | 409 |
/// | `timeout` | an operation did not finish in time | 504 |
/// | `rate_limited` | too many requests; back off and retry | 429 |
/// | `limit_exceeded` | a configured limit (connections, subscriptions) is reached | 429 |
/// | `unavailable` | the hub cannot take the request now (shutting down, store failing) | 503 |
/// | `internal` | an unexpected failure, logged by the hub | 500 |
public struct HubError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The stable error code, for example `bad_topic`.
    public let code: String
    /// What went wrong, for people.
    public let message: String

    public init(code: String, message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(self.code): \(self.message)" }

    /// The HTTP status that fits the code.
    public var httpStatus: Int {
        switch self.code {
        case "bad_json", "bad_topic", "bad_request", "unknown_op": 400
        case "unauthorized": 401
        case "forbidden": 403
        case "not_found": 404
        case "conflict", "device_offline": 409
        case "too_large": 413
        case "unsupported_media_type": 415
        case "rate_limited", "limit_exceeded": 429
        case "unavailable": 503
        case "timeout": 504
        default: 500
        }
    }

    /// The error as a JSON object `{"code":…,"message":…}`.
    public var json: JSONValue {
        .object([("code", .string(self.code)), ("message", .string(self.message))])
    }

    public static func badJSON(_ message: String) -> Self { .init(code: "bad_json", message: message) }
    public static func badTopic(_ message: String) -> Self { .init(code: "bad_topic", message: message) }
    public static func badRequest(_ message: String) -> Self { .init(code: "bad_request", message: message) }
    public static func tooLarge(_ message: String) -> Self { .init(code: "too_large", message: message) }
    public static func unknownOp(_ message: String) -> Self { .init(code: "unknown_op", message: message) }
    public static func unsupportedMediaType(_ message: String) -> Self { .init(code: "unsupported_media_type", message: message) }
    public static func unauthorized(_ message: String) -> Self { .init(code: "unauthorized", message: message) }
    public static func rateLimited(_ message: String) -> Self { .init(code: "rate_limited", message: message) }
    public static func forbidden(_ message: String) -> Self { .init(code: "forbidden", message: message) }
    public static func notFound(_ message: String) -> Self { .init(code: "not_found", message: message) }
    public static func conflict(_ message: String) -> Self { .init(code: "conflict", message: message) }
    public static func deviceOffline(_ message: String) -> Self { .init(code: "device_offline", message: message) }
    public static func timeout(_ message: String) -> Self { .init(code: "timeout", message: message) }
    public static func limitExceeded(_ message: String) -> Self { .init(code: "limit_exceeded", message: message) }
    public static func unavailable(_ message: String) -> Self { .init(code: "unavailable", message: message) }
    public static func `internal`(_ message: String) -> Self { .init(code: "internal", message: message) }
}
