public import SwitchboardCore

/// A source as the configuration file (or `--demo`) declares it; created at start if missing.
public struct SourceDefinition: Sendable {
    public var name: String
    public var kind: String
    /// Default `sources/<name>`.
    public var topic: String?
    public var params: JSONValue
    /// The state it is created in.
    public var running: Bool

    public init(name: String, kind: String, topic: String?, params: JSONValue, running: Bool) {
        self.name = name
        self.kind = kind
        self.topic = topic
        self.params = params
        self.running = running
    }

    /// As a `POST /api/v1/sources` body.
    var json: JSONValue {
        var members: [(String, JSONValue)] = [("name", .string(self.name)), ("kind", .string(self.kind))]
        if let topic = self.topic { members.append(("topic", .string(topic))) }
        members.append(("params", self.params))
        members.append(("state", .string(self.running ? "running" : "stopped")))
        return .object(members)
    }
}
