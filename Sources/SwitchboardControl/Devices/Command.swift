public import SwitchboardCore

/// A command to a device, stored with its state.
///
/// ```
/// queued ──► sent ──► succeeded | failed | timed_out
///   │  └──► expired (ttl passed while the device was offline)
///   └─────► cancelled (only while queued)
/// ```
/// Its JSON form: `{"id","device","name","params","key","state","created_at","sent_at",
/// "finished_at","timeout_ms","ttl_ms","expires_at","result","error"}`.
public struct Command: Sendable, Equatable {
    public enum State: String, Sendable {
        /// The device is offline; delivered when it connects, until `expires_at`.
        case queued
        /// Delivered; waiting for the device's answer until `timeout_ms` after `sent_at`.
        case sent
        /// The device answered with a result.
        case succeeded
        /// The device answered with an error.
        case failed
        /// No answer within `timeout_ms` (or the hub restarted while waiting): it may or may not have run.
        case timedOut = "timed_out"
        /// Still queued when `ttl_ms` ran out: never delivered.
        case expired
        /// Cancelled while queued: never delivered.
        case cancelled

        public var isFinal: Bool { self != .queued && self != .sent }
    }

    public var id: String
    public var device: String
    public var name: String
    public var params: JSONValue
    public var key: String?
    public var state: State
    public var createdAt: Int64
    public var sentAt: Int64?
    public var finishedAt: Int64?
    public var timeoutMs: Int64
    public var ttlMs: Int64
    public var expiresAt: Int64?
    public var result: JSONValue?
    public var error: JSONValue?

    public var delivery: CommandDelivery { CommandDelivery(id: self.id, name: self.name, params: self.params) }

    public var json: JSONValue {
        func optional(_ value: Int64?) -> JSONValue { value.map { .int($0) } ?? .null }
        return .object([
            ("id", .string(self.id)),
            ("device", .string(self.device)),
            ("name", .string(self.name)),
            ("params", self.params),
            ("key", self.key.map { .string($0) } ?? .null),
            ("state", .string(self.state.rawValue)),
            ("created_at", .int(self.createdAt)),
            ("sent_at", optional(self.sentAt)),
            ("finished_at", optional(self.finishedAt)),
            ("timeout_ms", .int(self.timeoutMs)),
            ("ttl_ms", .int(self.ttlMs)),
            ("expires_at", optional(self.expiresAt)),
            ("result", self.result ?? .null),
            ("error", self.error ?? .null),
        ])
    }

    /// Reads a stored command back; `nil` when the document is not one.
    init?(json: JSONValue) {
        guard let id = json["id"]?.stringValue, let device = json["device"]?.stringValue, let name = json["name"]?.stringValue,
            let stateName = json["state"]?.stringValue, let state = State(rawValue: stateName)
        else { return nil }
        self.id = id
        self.device = device
        self.name = name
        self.params = json["params"] ?? .object([])
        self.key = json["key"]?.stringValue
        self.state = state
        self.createdAt = json["created_at"]?.int64Value ?? 0
        self.sentAt = json["sent_at"]?.int64Value
        self.finishedAt = json["finished_at"]?.int64Value
        self.timeoutMs = json["timeout_ms"]?.int64Value ?? CommandRequest.defaultTimeoutMs
        self.ttlMs = json["ttl_ms"]?.int64Value ?? 0
        self.expiresAt = json["expires_at"]?.int64Value
        self.result = json["result"].flatMap { $0 == .null ? nil : $0 }
        self.error = json["error"].flatMap { $0 == .null ? nil : $0 }
    }

    init(id: String, device: String, request: CommandRequest, now: Int64) {
        self.id = id
        self.device = device
        self.name = request.name
        self.params = request.params
        self.key = request.key
        self.state = .queued
        self.createdAt = now
        self.timeoutMs = request.timeoutMs
        self.ttlMs = request.ttlMs
    }
}
