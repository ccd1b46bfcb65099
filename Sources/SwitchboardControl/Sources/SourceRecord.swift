public import SwitchboardCore

/// A managed source as clients see it and as it is stored:
/// `{"name","kind","topic","params","state":"running|stopped|failed","error":null}`.
public struct SourceRecord: Sendable {
    public enum State: String, Sendable {
        case running, stopped, failed
    }

    public var name: String
    public var kind: String
    public var topic: Topic
    public var params: JSONValue
    /// What the source should be doing (`running` or `stopped`); stored, so a restart restores it.
    public var desired: State
    /// What it is doing: `failed` while a program is in back-off or a connection is refused.
    public var state: State
    /// Why it failed, while it is `failed`.
    public var error: String?

    /// The longest name; names are one topic segment (`[A-Za-z0-9_.~-]`), so they fit in URLs as they are.
    public static let maxNameLength = 64

    /// Reads a `POST /api/v1/sources` body (or a stored document): name, kind, topic (default
    /// `sources/<name>`, `race/results` for a `race`), params (default `{}`) and state (default `running`). `error` is accepted and ignored.
    public init(json: JSONValue) throws(HubError) {
        guard let members = json.objectValue else { throw .badRequest("a source must be a JSON object, not \(json.typeName)") }
        let known: Set<String> = ["name", "kind", "topic", "params", "state", "error"]
        if let unknown = members.first(where: { !known.contains($0.0) }) {
            throw .badRequest("unknown source field '\(unknown.0)'; fields are name, kind, topic, params, state")
        }
        self.name = try json.requiredString("name")
        try Self.validate(name: self.name)
        self.kind = try json.requiredString("kind")
        switch json["topic"] {
        case nil, .null?:
            // A race decoder publishes where SPEC says standings are; everything else under sources/.
            self.topic = Topic(trusted: self.kind == "race" ? RaceSource.defaultTopic : "sources/\(self.name)")
        case .string(let name)?:
            self.topic = try Topic(validating: name)
        case let other?:
            throw .badRequest("topic must be a string, not \(other.typeName)")
        }
        switch json["params"] {
        case nil, .null?: self.params = .object([])
        case .object(let params)?: self.params = .object(params)
        case let other?: throw .badRequest("params must be an object, not \(other.typeName)")
        }
        switch json["state"] {
        case nil, .null?, .string("running")?: self.desired = .running
        case .string("stopped")?: self.desired = .stopped
        case let other?: throw .badRequest("state must be \"running\" or \"stopped\", not \(other.serialized)")
        }
        self.state = .stopped
        self.error = nil
    }

    static func validate(name: String) throws(HubError) {
        let allowed = name.utf8.allSatisfy { byte in
            (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
                || byte == UInt8(ascii: "_") || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "~") || byte == UInt8(ascii: "-")
        }
        guard allowed, name.utf8.count <= Self.maxNameLength, name != ".", name != ".." else {
            throw .badRequest("source name '\(name)' must be 1 to \(Self.maxNameLength) characters of A-Z a-z 0-9 _ . ~ -")
        }
    }

    /// What clients see.
    public var json: JSONValue {
        .object([
            ("name", .string(self.name)), ("kind", .string(self.kind)), ("topic", .string(self.topic.name)),
            ("params", self.params), ("state", .string(self.state.rawValue)), ("error", self.error.map { .string($0) } ?? .null),
        ])
    }

    /// What is stored: the desired state, not the momentary one.
    var document: JSONValue {
        .object([
            ("name", .string(self.name)), ("kind", .string(self.kind)), ("topic", .string(self.topic.name)),
            ("params", self.params), ("state", .string(self.desired.rawValue)),
        ])
    }
}
