import Foundation
import Logging
import NIOCore
import NIOPosix
import SwitchboardControl
import SwitchboardCore
import SwitchboardRedis
import Synchronization

/// Devices across the nodes of a cluster, over one Redis pub/sub channel.
///
/// Each node announces the devices it holds (at once on connect and release,
/// and all of them every ``heartbeat``); the others keep that view and forget a
/// node that has been silent for ``expiry`` (it died). A command for a device on
/// another node is forwarded to that node, which delivers it and sends the
/// device's answer back to the node that owns the command.
final class ClusterPresence: DevicePresence {
    static let heartbeat = Duration.seconds(2)
    static let expiry = Duration.seconds(7)

    let nodeID: String
    let channel: String
    let client: RedisClient
    let subscriber: Mutex<RedisSubscriber?> = Mutex(nil)
    let configuration: RedisConfiguration
    let control: ControlPlane
    let logger: Logger
    private let state = Mutex(State())
    private let heartbeatTask = Mutex<Task<Void, Never>?>(nil)

    struct State {
        /// Devices other nodes hold: id → (node, device).
        var remote: [String: (node: String, device: Device)] = [:]
        /// When each other node was last heard.
        var heard: [String: ContinuousClock.Instant] = [:]
        /// Commands forwarded to this node: id → the node that owns them.
        var forwarded: [String: (node: String, at: ContinuousClock.Instant)] = [:]
    }

    init(client: RedisClient, configuration: RedisConfiguration, control: ControlPlane, keys: ClusterKeys, logger: Logger) {
        self.nodeID = String(UUID().uuidString.prefix(8)).lowercased()
        self.channel = "\(keys.prefix):control"
        self.client = client
        self.configuration = configuration
        self.control = control
        self.logger = logger
    }

    func start() {
        let subscriber = RedisSubscriber(
            configuration: self.configuration, eventLoopGroup: MultiThreadedEventLoopGroup.singleton, mode: .global, logger: self.logger,
            onMessages: { [weak self] messages in
                guard let self else { return }
                for message in messages { self.receive(message.payload) }
            },
            onSubscribed: { [weak self] in
                // (Re)joined: ask everyone for their devices, and tell ours.
                self?.send(["op": .string("hello")])
                self?.announceHoldings()
            })
        subscriber.subscribe([self.channel])
        subscriber.start()
        self.subscriber.withLock { $0 = subscriber }
        let task = Task { [weak self] in
            while !Task.isCancelled {
                try? await Task.sleep(for: Self.heartbeat)
                self?.announceHoldings()
                self?.forgetSilentNodes()
            }
        }
        self.heartbeatTask.withLock { $0 = task }
    }

    func stop() {
        self.heartbeatTask.withLock { $0 }?.cancel()
        self.subscriber.withLock { $0 }?.close()
    }

    // MARK: - DevicePresence

    func holding(_ device: Device) {
        self.send(["op": .string("hold"), "device": device.json])
    }

    func released(_ device: Device) {
        self.send(["op": .string("release"), "device": .string(device.id)])
    }

    func remoteDevice(_ id: String) -> Device? {
        self.state.withLock { $0.remote[id]?.device }
    }

    func remoteDevices() -> [Device] {
        self.state.withLock { $0.remote.values.map(\.device) }
    }

    func remoteLink(_ id: String) -> (any DeviceLink)? {
        guard let node = self.state.withLock({ $0.remote[id]?.node }) else { return nil }
        return RemoteDeviceLink(presence: self, node: node, device: id)
    }

    func forwardAnswer(_ answer: CommandAnswer, from device: String) -> Bool {
        guard let owner = self.state.withLock({ $0.forwarded.removeValue(forKey: answer.commandID)?.node }) else { return false }
        self.send(["op": .string("answer"), "to": .string(owner), "device": .string(device), "answer": answer.json])
        return true
    }

    /// Forwards a command to the node holding its device.
    func forward(_ command: CommandDelivery, device: String, to node: String) {
        self.send(["op": .string("deliver"), "to": .string(node), "device": .string(device), "command": command.json])
    }

    // MARK: - Receiving

    private func receive(_ payload: ByteBuffer) {
        guard let message = try? JSONParser.parse(payload), let op = message["op"]?.stringValue,
            let node = message["node"]?.stringValue, node != self.nodeID
        else { return }
        if let to = message["to"]?.stringValue, to != self.nodeID { return }
        self.state.withLock { $0.heard[node] = .now }
        switch op {
        case "hello":
            self.announceHoldings()
        case "hold":
            guard let json = message["device"], let device = Device(json: json) else { return }
            self.state.withLock { $0.remote[device.id] = (node, device) }
            // The device moved here from this node: close our stale connection to it.
            self.control.devices.localLink(device.id)?.takeOver(reason: "device id '\(device.id)' connected to another node of the cluster")
        case "holding":
            let devices = (message["devices"]?.arrayValue ?? []).compactMap(Device.init(json:))
            self.state.withLock { state in
                state.remote = state.remote.filter { $0.value.node != node }
                for device in devices where self.control.devices.localLink(device.id) == nil {
                    state.remote[device.id] = (node, device)
                }
            }
        case "release":
            guard let id = message["device"]?.stringValue else { return }
            self.state.withLock { state in
                if state.remote[id]?.node == node { state.remote[id] = nil }
            }
        case "deliver":
            self.deliver(message, from: node)
        case "answer":
            guard let device = message["device"]?.stringValue, let json = message["answer"], let answer = try? CommandAnswer(json: json) else { return }
            do {
                try self.control.commands.answer(answer, from: device)
            } catch {
                self.logger.info("A forwarded answer was not taken", metadata: ["command.id": "\(answer.commandID)", "error.type": "\(error)"])
            }
        default:
            break
        }
    }

    private func deliver(_ message: JSONValue, from owner: String) {
        guard let device = message["device"]?.stringValue, let json = message["command"], let command = CommandDelivery(json: json) else { return }
        guard let link = self.control.devices.localLink(device) else {
            let error = JSONValue.object([
                ("code", .string("device_offline")), ("message", .string("device '\(device)' left the node that held it")),
            ])
            self.send(["op": .string("answer"), "to": .string(owner), "device": .string(device),
                       "answer": .object([("id", .string(command.id)), ("error", error)])])
            return
        }
        self.state.withLock { state in
            state.forwarded[command.id] = (owner, .now)
            // Answers come within a command's timeout; forget forwards far older than any.
            let horizon = ContinuousClock.now - .seconds(3600)
            if state.forwarded.count > 10_000 { state.forwarded = state.forwarded.filter { $0.value.at > horizon } }
        }
        link.deliver(command)
    }

    private func announceHoldings() {
        let held = self.control.devices.list().filter { $0.online && self.control.devices.localLink($0.id) != nil }
        self.send(["op": .string("holding"), "devices": .array(held.map(\.json))])
    }

    private func forgetSilentNodes() {
        let horizon = ContinuousClock.now - Self.expiry
        self.state.withLock { state in
            let silent = Set(state.heard.filter { $0.value < horizon }.keys)
            guard !silent.isEmpty else { return }
            state.remote = state.remote.filter { !silent.contains($0.value.node) }
            for node in silent { state.heard[node] = nil }
        }
    }

    private func send(_ fields: KeyValuePairs<String, JSONValue>) {
        var object: [(String, JSONValue)] = [("node", .string(self.nodeID))]
        object.append(contentsOf: fields.map { ($0.key, $0.value) })
        _ = self.client.send(["PUBLISH", RESPArg(self.channel), RESPArg(JSONValue.object(object).serialized)])
    }
}

/// A device connected to another node: commands go there through Redis.
final class RemoteDeviceLink: DeviceLink {
    let presence: ClusterPresence
    let node: String
    let device: String

    init(presence: ClusterPresence, node: String, device: String) {
        self.presence = presence
        self.node = node
        self.device = device
    }

    func deliver(_ command: CommandDelivery) {
        self.presence.forward(command, device: self.device, to: self.node)
    }

    /// Take-overs are the holding node's business.
    func takeOver(reason: String) {}
}
