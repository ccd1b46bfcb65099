public import Logging
public import SwitchboardCore

/// Commands to devices, stored with their state. (Skeleton: filled in by the commands work.)
public actor CommandCenter {
    let hub: Hub
    let store: any DocumentStore
    let events: SystemEvents
    let devices: DeviceRegistry
    let logger: Logger

    init(hub: Hub, store: any DocumentStore, events: SystemEvents, devices: DeviceRegistry, logger: Logger) {
        self.hub = hub
        self.store = store
        self.events = events
        self.devices = devices
        self.logger = logger
    }

    func start() async {}
    func stop() async {}
}
