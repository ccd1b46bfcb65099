public import SwitchboardCore

/// A device the hub knows: connected now, or seen before and remembered.
///
/// Its JSON form is what `GET /api/v1/devices`, `devices.list` and `$sys/devices` carry:
/// `{"id","transport","address","info","online","last_seen","connected_since","first_seen"}`.
public struct Device: Sendable, Equatable {
    /// The id the device gave at `hello` (or `?device=`).
    public var id: String
    /// `websocket` or `tcp` (later `mqtt`): how it is (or was last) connected.
    public var transport: String
    /// The peer address of its (last) connection, `host:port`.
    public var address: String?
    /// What the device said about itself at `hello`: any JSON object, e.g. firmware, model, `commands`.
    public var info: JSONValue
    public var online: Bool
    /// Epoch ms of the last message from it.
    public var lastSeen: Int64
    /// Epoch ms its current connection began; `nil` while offline.
    public var connectedSince: Int64?
    /// Epoch ms the hub first heard of it.
    public var firstSeen: Int64

    public init(
        id: String,
        transport: String,
        address: String?,
        info: JSONValue,
        online: Bool,
        lastSeen: Int64,
        connectedSince: Int64?,
        firstSeen: Int64
    ) {
        self.id = id
        self.transport = transport
        self.address = address
        self.info = info
        self.online = online
        self.lastSeen = lastSeen
        self.connectedSince = connectedSince
        self.firstSeen = firstSeen
    }

    /// The command names the device declared in `info.commands`, if it declared any.
    public var declaredCommands: [String]? {
        self.info["commands"]?.arrayValue?.compactMap(\.stringValue)
    }

    public var json: JSONValue {
        .object([
            ("id", .string(self.id)),
            ("transport", .string(self.transport)),
            ("address", self.address.map { .string($0) } ?? .null),
            ("info", self.info),
            ("online", .bool(self.online)),
            ("last_seen", .int(self.lastSeen)),
            ("connected_since", self.connectedSince.map { .int($0) } ?? .null),
            ("first_seen", .int(self.firstSeen)),
        ])
    }

    /// Reads a stored device back; `nil` when the document is not one.
    public init?(json: JSONValue) {
        guard let id = json["id"]?.stringValue, let transport = json["transport"]?.stringValue else { return nil }
        self.id = id
        self.transport = transport
        self.address = json["address"]?.stringValue
        self.info = json["info"] ?? .object([])
        self.online = json["online"]?.boolValue ?? false
        self.lastSeen = json["last_seen"]?.int64Value ?? 0
        self.connectedSince = json["connected_since"]?.int64Value
        self.firstSeen = json["first_seen"]?.int64Value ?? self.lastSeen
    }

    /// Checks a device id: 1–128 bytes, no control characters, no `/` (ids appear in URL paths).
    public static func validateID(_ id: String) throws(HubError) {
        guard !id.isEmpty, id.utf8.count <= 128 else { throw .badRequest("a device id must be a non-empty string of at most 128 bytes") }
        guard !id.unicodeScalars.contains(where: { $0.value < 0x20 || $0 == "/" || $0.value == 0x7F }) else {
            throw .badRequest("a device id must not contain '/' or control characters")
        }
    }

    /// Checks the `info` a device gives at hello: a JSON object of at most 16 KiB; `commands`, if present, an array of strings.
    public static func validateInfo(_ info: JSONValue) throws(HubError) {
        guard case .object = info else { throw .badRequest("info must be a JSON object, not \(info.typeName)") }
        guard info.serialized.utf8.count <= 16 * 1024 else { throw .tooLarge("info is larger than 16 KiB") }
        if let commands = info["commands"] {
            guard let names = commands.arrayValue, names.allSatisfy({ $0.stringValue != nil }) else {
                throw .badRequest("info.commands must be an array of command names (strings)")
            }
        }
    }
}
