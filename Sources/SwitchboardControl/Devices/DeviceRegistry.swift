public import Logging
public import SwitchboardCore

/// Connected and known devices. (Skeleton: filled in by the devices work.)
public actor DeviceRegistry {
    let hub: Hub
    let store: any DocumentStore
    let events: SystemEvents
    let logger: Logger

    init(hub: Hub, store: any DocumentStore, events: SystemEvents, logger: Logger) {
        self.hub = hub
        self.store = store
        self.events = events
        self.logger = logger
    }

    func start() async {}
    func stop() async {}
}

extension ControlPlane {
    func registerDeviceCalls() {}
}
