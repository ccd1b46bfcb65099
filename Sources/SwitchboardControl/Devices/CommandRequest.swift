public import SwitchboardCore

/// What a caller asks for: `{"name","params","timeout_ms","ttl_ms","key"}`,
/// the body of `POST /api/v1/devices/<id>/commands` and the params of `commands.send`.
public struct CommandRequest: Sendable {
    public static let defaultTimeoutMs: Int64 = 10_000
    public static let maxTimeoutMs: Int64 = 300_000
    /// Queued commands wait at most a week for their device.
    public static let maxTTLMs: Int64 = 7 * 24 * 3600 * 1000
    static let fields = ["name", "params", "timeout_ms", "ttl_ms", "key"]

    /// The command's name, e.g. `toggle_relay`.
    public var name: String
    /// Its parameters: a JSON object (default `{}`).
    public var params: JSONValue
    /// How long to wait for the device's answer once sent. Default 10 s, at most 300 s.
    public var timeoutMs: Int64
    /// How long it may stay queued while the device is offline. Default 0: an offline device is an error.
    public var ttlMs: Int64
    /// An idempotency key: the same device and key give the same command, run once.
    public var key: String?

    public init(name: String, params: JSONValue = .object([]), timeoutMs: Int64 = Self.defaultTimeoutMs, ttlMs: Int64 = 0, key: String? = nil) {
        self.name = name
        self.params = params
        self.timeoutMs = timeoutMs
        self.ttlMs = ttlMs
        self.key = key
    }

    /// Parses and checks a request object; `extraFields` are other keys the caller's endpoint accepts.
    public init(json: JSONValue, extraFields: [String] = []) throws(HubError) {
        guard let members = json.objectValue else { throw .badRequest("a command must be a JSON object, not \(json.typeName)") }
        let allowed = Self.fields + extraFields
        for (field, _) in members where !allowed.contains(field) {
            throw .badRequest("unknown field '\(field)'; a command takes \(allowed.joined(separator: ", "))")
        }
        guard let nameValue = json["name"] else { throw .badRequest("missing name (the command's name, e.g. \"toggle_relay\")") }
        guard let name = nameValue.stringValue, !name.isEmpty, name.utf8.count <= 128 else {
            throw .badRequest("name must be a non-empty string of at most 128 bytes")
        }
        self.name = name
        switch json["params"] {
        case nil, .null?: self.params = .object([])
        case .object?: self.params = json["params"]!
        case let other?: throw .badRequest("params must be a JSON object, not \(other.typeName)")
        }
        self.timeoutMs = try Self.milliseconds(json, "timeout_ms", range: 1...Self.maxTimeoutMs) ?? Self.defaultTimeoutMs
        self.ttlMs = try Self.milliseconds(json, "ttl_ms", range: 0...Self.maxTTLMs) ?? 0
        if let keyValue = json["key"], keyValue != .null {
            guard let key = keyValue.stringValue, !key.isEmpty, key.utf8.count <= 256 else {
                throw .badRequest("key must be a non-empty string of at most 256 bytes")
            }
            self.key = key
        }
    }

    private static func milliseconds(_ json: JSONValue, _ field: String, range: ClosedRange<Int64>) throws(HubError) -> Int64? {
        guard let value = json[field], value != .null else { return nil }
        guard let number = value.int64Value, range.contains(number) else {
            throw .badRequest("\(field) must be a whole number of milliseconds from \(range.lowerBound) to \(range.upperBound)")
        }
        return number
    }
}
