import Foundation
import NIOCore
import SwitchboardControl
import SwitchboardCore

/// A raw TCP connection as a device: `{"hello":"esp32-1","info":{…}}` registers it;
/// commands go out as `{"cmd":{"id","name","params"}}` lines in the encoding the
/// device's lines use (base64 if it sends base64); answers come back as
/// `{"cmd_result":{"id",…}}` and are not acknowledged unless they fail.
extension TCPLineConnection: DeviceLink {
    func registerDevice(info: JSONValue?, encoding: Encoding) {
        guard let device = self.device else { return }
        if self.registeredDevice == nil, let channel = self.context?.channel { DeviceKeepalive.enable(on: channel) }
        self.registeredDevice = device
        self.deviceEncoding = encoding
        let address = self.context?.channel.remoteAddress.map { "\($0.ipAddress ?? "?"):\($0.port ?? 0)" }
        self.control.deviceConnected(device, transport: "tcp", address: address, info: info, link: self)
    }

    func unregisterDevice() {
        guard let device = self.registeredDevice else { return }
        self.registeredDevice = nil
        self.control.deviceDisconnected(device, link: self)
    }

    // MARK: - DeviceLink

    func deliver(_ command: CommandDelivery) {
        let line = JSONValue.object([("cmd", command.json)]).serialized
        self.eventLoop?.execute { self.answer(line, encoding: self.deviceEncoding, flush: true) }
    }

    func takeOver(reason: String) {
        self.eventLoop?.execute {
            // The registry already holds the newer connection: this one must not mark the device offline.
            self.registeredDevice = nil
            guard let context = self.context else { return }
            let text = Self.errorLine(.conflict(reason), id: nil)
            let line = self.deviceEncoding == .base64 ? Data(text.utf8).base64EncodedString() + "\n" : text + "\n"
            let channel = context.channel
            context.writeAndFlush(self.wrapOutboundOut(ByteBuffer(string: line))).whenComplete { _ in channel.close(promise: nil) }
        }
    }
}
