import Logging
import SwitchboardCore

/// The JSON texts the hub answers with, shared by every transport that speaks the `/ws` protocol.
enum Replies {
    /// `{"op":"ok","id":…}` with `seq` for a publish.
    static func ok(id: JSONValue?, seq: Int64? = nil) -> String {
        var members: [(String, JSONValue)] = [("op", .string("ok"))]
        if let id { members.append(("id", id)) }
        if let seq { members.append(("seq", .int(seq))) }
        return JSONValue.object(members).serialized
    }

    /// `{"op":"result","id":…,"result":…}`.
    static func result(id: JSONValue?, _ result: JSONValue) -> String {
        var members: [(String, JSONValue)] = [("op", .string("result"))]
        if let id { members.append(("id", id)) }
        members.append(("result", result))
        return JSONValue.object(members).serialized
    }

    /// `{"op":"error","id":…,"error":{"code":…,"message":…}}`.
    static func error(id: JSONValue?, _ error: HubError) -> String {
        var members: [(String, JSONValue)] = [("op", .string("error"))]
        if let id { members.append(("id", id)) }
        members.append(("error", error.json))
        return JSONValue.object(members).serialized
    }

    /// `{"op":"gap","topic":…,"from":…,"to":…}`: messages that cannot be replayed.
    static func gap(topic: Topic, from: Int64, to: Int64) -> String {
        JSONValue.object([("op", .string("gap")), ("topic", .string(topic.name)), ("from", .int(from)), ("to", .int(to))]).serialized
    }
}
