public import Logging
public import SwitchboardCore

/// The hub's control plane: managed sources, the device registry and commands,
/// and the `call` methods that reach them. Transport-free: the server's REST
/// controllers, WebSocket and TCP connections call into it.
public final class ControlPlane: Sendable {
    public let hub: Hub
    public let events: SystemEvents
    public let calls: CallRouter
    public let sources: SourceRegistry
    public let devices: DeviceRegistry
    public let commands: CommandCenter

    public init(hub: Hub, store: any DocumentStore, configuration: ControlConfiguration, logger: Logger) {
        self.hub = hub
        self.events = SystemEvents(hub: hub, logger: logger)
        self.sources = SourceRegistry(hub: hub, store: store, events: self.events, configuration: configuration, logger: logger)
        self.devices = DeviceRegistry(hub: hub, store: store, events: self.events, sharedStore: configuration.clusterNode, logger: logger)
        self.commands = CommandCenter(hub: hub, store: store, events: self.events, devices: self.devices, logger: logger)
        self.calls = CallRouter()
        self.registerCalls()
    }

    /// Loads what the store remembers and starts the sources that should run. Call after the hub started.
    public func start() async {
        await self.devices.start()
        await self.commands.start()
        await self.sources.start()
    }

    /// Stops every source and timer; the desired states stay stored for the next start.
    public func stop() async {
        await self.sources.stop()
        await self.commands.stop()
        await self.devices.stop()
    }

    private func registerCalls() {
        self.registerSourceCalls()
        self.registerDeviceCalls()
    }
}

/// What the control plane reads from the configuration.
public struct ControlConfiguration: Sendable {
    /// Whether `exec` sources (external programs) may be created. Off by default.
    public var allowExec = false
    /// Sources declared in the configuration file, created at start if missing.
    public var sources: [SourceDefinition] = []
    /// Creates and starts a handful of simulated sources (`serve --demo`).
    public var demo = false
    /// One node of a cluster: devices, sources and commands are shared with other nodes through the store.
    public var clusterNode = false

    public init() {}
}
