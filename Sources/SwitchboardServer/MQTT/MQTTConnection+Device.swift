import Logging
import NIOCore
import SwitchboardControl
import SwitchboardCore
import SwitchboardMQTT

/// An MQTT client with its own client id is a device.
///
/// - The hub sends it each command as a PUBLISH (QoS 0) on `devices/<id>/cmd` with the payload
///   `{"id":"c-17","name":"toggle_relay","params":{}}`; the device subscribes to that topic.
/// - The device answers by publishing `{"id":"c-17","result":…}` or
///   `{"id":"c-17","error":{"code":"…","message":"…"}}` to `devices/<id>/cmd_result`; the answer
///   settles the command and is stored as a message of that topic, so MQTT callers see it.
/// - Any MQTT client may send a command by publishing `{"name":"toggle_relay","params":{},"timeout_ms":…,"ttl_ms":…,"key":…}`
///   (the body of `POST /api/v1/devices/<id>/commands`) to `devices/<id>/cmd`; it is not stored
///   as a message but becomes a command. A request that fails is answered on `devices/<id>/cmd_result`
///   as `{"error":{"code","message"}}` (no `id`).
extension MQTTConnection: DeviceLink {
    func registerDevice() {
        let address = self.context?.channel.remoteAddress.map { "\($0.ipAddress ?? "?"):\($0.port ?? 0)" }
        // A device with keep-alive 0 would otherwise stay online after a power cut until a write fails.
        if let channel = self.context?.channel { DeviceKeepalive.enable(on: channel) }
        self.registeredDevice = self.clientID
        self.endpoint.control.deviceConnected(self.clientID, transport: self.transport, address: address, info: nil, link: self)
    }

    func unregisterDevice() {
        guard let device = self.registeredDevice else { return }
        self.registeredDevice = nil
        self.endpoint.control.deviceDisconnected(device, link: self)
    }

    /// A publish to `devices/<device>/cmd`: a command request.
    func sendCommand(_ publish: Publish, to device: String) {
        guard self.permissions.mayCommand(device) else {
            self.refusePublish(publish, .forbidden("no permission to send commands to '\(device)'"))
            return
        }
        let control = self.endpoint.control
        let eventLoop = self.eventLoop!
        let payload = publish.payload
        eventLoop.makeFutureWithTask { () async -> HubError? in
            do throws(HubError) {
                let request = try CommandRequest(json: try JSONParser.parse(payload))
                _ = try await control.sendCommand(to: device, request, waitForAnswer: false)
                return nil
            } catch {
                return error
            }
        }.whenSuccess { [self] error in
            if let error { self.publishCommandError(error, device: device) }
            self.acknowledge(publish)
        }
    }

    private func publishCommandError(_ error: HubError, device: String) {
        guard let topic = try? Topic(validating: "devices/\(device)/cmd_result") else { return }
        let data = ByteBuffer(string: JSONValue.object([("error", error.json)]).serialized)
        self.hub.publish(topic: topic, data: data, from: self.clientID, key: nil) { _ in }
    }

    /// A publish of this device to `devices/<id>/cmd_result`: settles the command.
    func answerCommand(_ payload: ByteBuffer) {
        do throws(HubError) {
            try self.endpoint.control.commandAnswered(try JSONParser.parse(payload), from: self.registeredDevice)
        } catch {
            self.logger.info("MQTT command answer refused", metadata: ["error.type": "\(error)"])
        }
    }

    // MARK: - DeviceLink

    func deliver(_ command: CommandDelivery) {
        let publish = Publish(topic: DeviceTopics.command(self.clientID), payload: ByteBuffer(string: command.json.serialized))
        self.eventLoop?.execute {
            guard self.phase == .connected else { return }
            self.send(.publish(publish))
        }
    }

    func takeOver(reason: String) {
        self.eventLoop?.execute {
            // The registry already holds the newer connection: this one must not mark the device offline.
            self.registeredDevice = nil
            self.close(reason: reason)
        }
    }
}
