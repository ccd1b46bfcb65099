public import SwitchboardCore

/// The entry points the transports use for devices: one call each, so that
/// "online" and "deliver what is queued" always happen together.
extension ControlPlane {
    /// A connection named itself `device` (`hello`, `?device=`): it is online, and queued commands go out now.
    public func deviceConnected(_ device: String, transport: String, address: String?, info: JSONValue?, link: any DeviceLink) {
        self.devices.connect(device, transport: transport, address: address, info: info, link: link)
        self.commands.deliverQueued(to: device)
    }

    /// The device's connection `link` ended.
    public func deviceDisconnected(_ device: String, link: any DeviceLink) {
        self.devices.disconnect(device, link: link)
    }

    /// A device's answer to a command (`cmd_result`), parsed and checked.
    public func commandAnswered(_ body: JSONValue, from device: String?) throws(HubError) {
        let answer = try CommandAnswer(json: body)
        guard let device else {
            throw .notFound("no command '\(answer.commandID)' for this connection; a device says hello with its id before it answers commands")
        }
        try self.commands.answer(answer, from: device)
    }

    /// Sends a command and, when `waitForAnswer`, waits for it to finish; shared by REST and `commands.send`.
    public func sendCommand(to device: String, _ request: CommandRequest, waitForAnswer: Bool) async throws(HubError) -> Command {
        try Device.validateID(device)
        let command = try self.commands.send(to: device, request)
        // Stored (and announced) before the caller hears of it, so an acknowledged command survives a crash.
        await self.devices.effects.flushed()
        guard waitForAnswer, !command.state.isFinal else { return command }
        return await self.commands.wait(command.id) ?? command
    }
}
