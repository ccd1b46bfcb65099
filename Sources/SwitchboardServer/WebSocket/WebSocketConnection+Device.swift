import NIOCore
import SwitchboardControl
import SwitchboardCore

/// A `/ws` connection as a device: `hello` (or `?device=`) registers it,
/// commands arrive as `{"op":"cmd",…}` frames, answers come back as `cmd_result`.
extension WebSocketConnection: DeviceLink {
    /// `hello` (op or call): names the connection as a device, with optional `info`.
    /// Only `/ws` connections become devices; a connection keeps the first id it said.
    func hello(device: JSONValue?, info: JSONValue?) throws(HubError) {
        if let info { try Device.validateInfo(info) }
        guard let device else {
            if info != nil { throw .badRequest("info needs a device id: {\"op\":\"hello\",\"device\":\"…\",\"info\":{…}}") }
            return
        }
        guard let name = device.stringValue else { throw .badRequest("device must be a string, not \(device.typeName)") }
        try Device.validateID(name)
        if let registered = self.registeredDevice, registered != name {
            throw .conflict("this connection is already device '\(registered)'; open another connection for '\(name)'")
        }
        self.device = name
        self.registerDevice(name, info: info)
    }

    func registerDevice(_ name: String, info: JSONValue?) {
        guard case .full = self.route else { return }
        if self.registeredDevice == nil, let channel = self.channel { DeviceKeepalive.enable(on: channel) }
        self.registeredDevice = name
        self.endpoints.control.deviceConnected(name, transport: "websocket", address: self.remoteAddress, info: info, link: self)
    }

    func unregisterDevice() {
        guard let device = self.registeredDevice else { return }
        self.registeredDevice = nil
        self.endpoints.control.deviceDisconnected(device, link: self)
    }

    /// `{"op":"cmd_result","id":"c-17","result":…}` or `…"error":{…}}`. Not answered unless it fails.
    func handleCommandResult(_ request: JSONParser.Object) throws(HubError) {
        var members: [(String, JSONValue)] = []
        for field in ["id", "result", "error"] {
            if let value = request[field] { members.append((field, value)) }
        }
        try self.endpoints.control.commandAnswered(.object(members), from: self.registeredDevice)
    }

    // MARK: - DeviceLink

    func deliver(_ command: CommandDelivery) {
        var members: [(String, JSONValue)] = [("op", .string("cmd"))]
        if case .object(let fields) = command.json { members += fields }
        let text = JSONValue.object(members).serialized
        self.channelEventLoop?.execute { self.sendControl(text) }
    }

    func takeOver(reason: String) {
        self.channelEventLoop?.execute {
            // The registry already holds the newer connection: this one must not mark the device offline.
            self.registeredDevice = nil
            self.sendError(id: nil, .conflict(reason))
            self.close(code: CloseCode.policyViolation, reason: "device id taken over")
        }
    }
}
