public import SwitchboardCore

/// A live connection to a device, through which the hub sends it commands.
///
/// Implemented by the server's transports (the `/ws` connection, the raw TCP
/// line connection). Both methods return at once: the transport hops to its
/// own event loop to write.
public protocol DeviceLink: AnyObject, Sendable {
    /// Sends one command, in the transport's own framing (`{"op":"cmd",…}` or a `{"cmd":{…}}` line).
    func deliver(_ command: CommandDelivery)
    /// Closes the connection because a newer connection took over its device id.
    func takeOver(reason: String)
}

/// What a device receives: `{"id":"c-…","name":"toggle_relay","params":{}}`.
public struct CommandDelivery: Sendable {
    public var id: String
    public var name: String
    public var params: JSONValue

    public init(id: String, name: String, params: JSONValue) {
        self.id = id
        self.name = name
        self.params = params
    }

    /// Reads back ``json`` (a command forwarded from another node of a cluster).
    public init?(json: JSONValue) {
        guard let id = json["id"]?.stringValue, let name = json["name"]?.stringValue else { return nil }
        self.init(id: id, name: name, params: json["params"] ?? .null)
    }

    public var json: JSONValue {
        .object([("id", .string(self.id)), ("name", .string(self.name)), ("params", self.params)])
    }
}
