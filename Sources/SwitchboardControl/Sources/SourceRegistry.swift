public import Logging
public import SwitchboardCore

/// Every managed source, its desired and actual state. (Skeleton: filled in by the sources work.)
public actor SourceRegistry {
    let hub: Hub
    let store: any DocumentStore
    let events: SystemEvents
    let configuration: ControlConfiguration
    let logger: Logger

    init(hub: Hub, store: any DocumentStore, events: SystemEvents, configuration: ControlConfiguration, logger: Logger) {
        self.hub = hub
        self.store = store
        self.events = events
        self.configuration = configuration
        self.logger = logger
    }

    func start() async {}
    func stop() async {}
}

/// A source as the configuration file declares it.
public struct SourceDefinition: Sendable {
    public var name: String
    public var kind: String
    public var topic: String?
    public var params: JSONValue
    public var running: Bool

    public init(name: String, kind: String, topic: String?, params: JSONValue, running: Bool) {
        self.name = name
        self.kind = kind
        self.topic = topic
        self.params = params
        self.running = running
    }
}

extension ControlPlane {
    func registerSourceCalls() {}
}
