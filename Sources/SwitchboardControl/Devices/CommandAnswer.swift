public import SwitchboardCore

/// A device's answer to a command: `{"id":"c-17","result":…}` or `{"id":"c-17","error":{"code","message"}}`,
/// the body of a WebSocket `cmd_result` op and of a TCP `{"cmd_result":{…}}` line.
public struct CommandAnswer: Sendable {
    public enum Outcome: Sendable {
        case result(JSONValue)
        case error(JSONValue)
    }

    public var commandID: String
    public var outcome: Outcome

    /// Parses an answer; a missing `result` is a result of `null`.
    public init(json: JSONValue) throws(HubError) {
        guard case .object = json else { throw .badRequest("a command answer must be an object {\"id\",\"result\"|\"error\"}") }
        guard let idValue = json["id"] else { throw .badRequest("a command answer needs the command's id") }
        guard let id = idValue.stringValue, !id.isEmpty else {
            throw .badRequest("the command id must be a non-empty string, not \(idValue.typeName)")
        }
        self.commandID = id
        if let error = json["error"], error != .null {
            guard case .object = error, let code = error["code"]?.stringValue, !code.isEmpty else {
                throw .badRequest("error must be an object {\"code\":\"…\",\"message\":\"…\"} with a string code")
            }
            if let message = error["message"], message.stringValue == nil { throw .badRequest("error.message must be a string") }
            self.outcome = .error(error)
        } else {
            self.outcome = .result(json["result"] ?? .null)
        }
    }

    /// The answer as the device sent it (to forward it to another node of a cluster).
    public var json: JSONValue {
        switch self.outcome {
        case .result(let result): .object([("id", .string(self.commandID)), ("result", result)])
        case .error(let error): .object([("id", .string(self.commandID)), ("error", error)])
        }
    }
}
