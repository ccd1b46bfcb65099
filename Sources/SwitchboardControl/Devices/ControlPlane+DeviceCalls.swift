import SwitchboardCore

/// The `/ws` `call` methods for devices and commands. Params are the REST
/// API's, by name; each bad or missing one gets a `bad_request` naming it.
///
/// | method | params | result |
/// |---|---|---|
/// | `devices.list` | — | `{"devices":[…]}` |
/// | `devices.get` | `device` | the device |
/// | `commands.send` | `device`, `name`, `params`, `timeout_ms`, `ttl_ms`, `key`, `async` | the command (finished unless `async`) |
/// | `commands.get` | `id` | the command |
/// | `commands.list` | `device` (optional), `limit` (optional, ≤ 1000) | `{"commands":[…]}`, newest first |
/// | `commands.cancel` | `id` | the cancelled command |
extension ControlPlane {
    func registerDeviceCalls() {
        self.calls.register("devices.list") { params, _ async throws(HubError) in
            try ControlPlane.expectOnly(params, [])
            return .object([("devices", .array(self.devices.list().map(\.json)))])
        }
        self.calls.register("devices.get") { params, _ async throws(HubError) in
            try ControlPlane.expectOnly(params, ["device"])
            let id = try params.requiredString("device")
            guard let device = self.devices.device(id) else { throw .notFound("no device '\(id)'") }
            return device.json
        }
        self.calls.register("commands.send") { params, _ async throws(HubError) in
            let device = try params.requiredString("device")
            var isAsync = false
            if let value = params["async"], value != .null {
                guard let flag = value.boolValue else { throw .badRequest("async must be true or false") }
                isAsync = flag
            }
            let request = try CommandRequest(json: params, extraFields: ["device", "async"])
            return try await self.sendCommand(to: device, request, waitForAnswer: !isAsync).json
        }
        self.calls.register("commands.get") { params, _ async throws(HubError) in
            try ControlPlane.expectOnly(params, ["id"])
            let id = try params.requiredString("id")
            guard let command = self.commands.command(id) else { throw .notFound("no command '\(id)'") }
            return command.json
        }
        self.calls.register("commands.list") { params, _ async throws(HubError) in
            try ControlPlane.expectOnly(params, ["device", "limit"])
            var device: String? = nil
            if let value = params["device"], value != .null { device = try params.requiredString("device") }
            var limit = 100
            if let value = params["limit"], value != .null {
                guard let number = value.int64Value, (1...1000).contains(number) else {
                    throw .badRequest("limit must be a whole number from 1 to 1000")
                }
                limit = Int(number)
            }
            return .object([("commands", .array(self.commands.list(device: device, limit: limit).map(\.json)))])
        }
        self.calls.register("commands.cancel") { params, _ async throws(HubError) in
            try ControlPlane.expectOnly(params, ["id"])
            return try self.commands.cancel(try params.requiredString("id")).json
        }
    }

    /// `params` is absent, null or an object with only `fields`.
    static func expectOnly(_ params: JSONValue, _ fields: [String]) throws(HubError) {
        guard params != .null else { return }
        guard let members = params.objectValue else { throw .badRequest("params must be an object") }
        for (name, _) in members where !fields.contains(name) {
            throw .badRequest(
                fields.isEmpty ? "this method takes no params" : "unknown param '\(name)'; this method takes \(fields.joined(separator: ", "))"
            )
        }
    }
}
