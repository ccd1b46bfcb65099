import SwitchboardAuth
import SwitchboardControl
import SwitchboardCore

/// Which scope each control-plane action needs, shared by REST and `/ws` calls
/// so both transports decide the same way.
///
/// - reading sources, devices and commands: any valid credentials;
/// - creating, starting, stopping or deleting a source: `pub:` covering its
///   topic, and `admin` for `exec` sources (they run programs on the hub's machine);
/// - sending or cancelling a command: `cmd:` matching the device.
struct AccessRules: Sendable {
    let control: ControlPlane

    func checkSourceChange(_ grant: Grant, definition: JSONValue) throws(HubError) {
        let kind = definition["kind"]?.stringValue
        if kind == "exec" {
            guard grant.isAdmin else { throw grant.refusal("an exec source", needs: "admin") }
            return
        }
        guard grant.isAdmin else {
            guard let name = definition["topic"]?.stringValue, let topic = try? Topic(validating: name) else {
                throw grant.refusal("managing a source without a topic", needs: "admin")
            }
            guard grant.mayPublish(topic) else { throw grant.refusal("a source publishing to \(topic)", needs: "pub:\(topic)") }
            return
        }
    }

    /// For an existing source, by name; an unknown name passes (the action itself answers 404).
    func checkSourceChange(_ grant: Grant, name: String) async throws(HubError) {
        if grant.isAdmin { return }
        let definition: JSONValue
        do {
            definition = try await self.control.sources.get(name)
        } catch {
            return
        }
        try self.checkSourceChange(grant, definition: definition)
    }

    func checkCommand(_ grant: Grant, device: String) throws(HubError) {
        guard grant.mayCommand(device) else { throw grant.refusal("a command to device '\(device)'", needs: "cmd:\(device)") }
    }

    /// For an existing command, by id.
    func checkCommand(_ grant: Grant, commandID: String) throws(HubError) {
        if grant.isAdmin { return }
        guard let command = self.control.commands.command(commandID) else { return }
        try self.checkCommand(grant, device: command.device)
    }

    /// Checks a `/ws` `call` before it runs.
    func checkCall(_ grant: Grant, method: String, params: JSONValue) async throws(HubError) {
        switch method {
        case "sources.create": try self.checkSourceChange(grant, definition: params)
        case "sources.start", "sources.stop", "sources.delete":
            try await self.checkSourceChange(grant, name: try params.requiredString("name"))
        case "commands.send": try self.checkCommand(grant, device: try params.requiredString("device"))
        case "commands.cancel": try self.checkCommand(grant, commandID: try params.requiredString("id"))
        default: break
        }
    }
}
