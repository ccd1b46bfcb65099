import Logging
public import SwitchboardCore
import Synchronization

/// Connected and known devices.
///
/// A device comes online when a connection names it (`hello`, `?device=`) and
/// goes offline when that connection ends; each change is stored (documents
/// collection `devices`) and published on `$sys/devices` as
/// `{"event":"online"|"offline","device":{…}}`. Known devices survive a
/// restart and are listed as offline until they connect again.
///
/// **An id that is already online is taken over** by the newer connection, and
/// the older one is closed with a reason — what MQTT brokers do with a client
/// id. A device that rebooted or lost its Wi-Fi reconnects long before the hub
/// can notice that its old TCP connection is dead; refusing the newcomer would
/// lock the real device out until then. Two devices misconfigured with one id
/// show up as repeated `online` events and a warning in the log.
public final class DeviceRegistry: Sendable {
    static let collection = "devices"

    struct Entry {
        var device: Device
        var link: (any DeviceLink)?
    }

    private let state: Mutex<[String: Entry]>
    private let clusterPresence = Mutex<(any DevicePresence)?>(nil)
    let effects: ControlEffects
    let logger: Logger

    /// With a `sharedStore` (a cluster), devices stored as online may be held by another node: they are
    /// offline *here*, but that is not recorded (the cluster's presence says who holds what).
    init(hub: Hub, store: any DocumentStore, events: SystemEvents, sharedStore: Bool = false, logger: Logger) {
        let effects = ControlEffects(store: store, events: events, logger: logger)
        self.effects = effects
        self.logger = logger
        var entries: [String: Entry] = [:]
        do {
            for document in try store.loadDocuments(collection: Self.collection) {
                guard let json = try? JSONParser.parse(document.body), var device = Device(json: json) else {
                    logger.warning("Skipping an unreadable stored device", metadata: ["device": "\(document.id)"])
                    continue
                }
                if device.online {
                    // The hub stopped (or died) while it was connected: it is not connected now.
                    device.online = false
                    device.connectedSince = nil
                    if sharedStore {
                        entries[device.id] = Entry(device: device, link: nil)
                        continue
                    }
                    effects.record(
                        collection: Self.collection,
                        id: device.id,
                        topic: SystemEvents.devices,
                        event: "offline",
                        kind: "device",
                        object: device.json
                    )
                }
                entries[device.id] = Entry(device: device, link: nil)
            }
        } catch {
            logger.error("Loading stored devices failed", metadata: ["error.type": "\(error)"])
        }
        self.state = Mutex(entries)
    }

    func start() async {
        self.effects.start()
    }

    /// Makes this registry one node's part of a cluster-wide view (before connections arrive).
    public func attach(_ presence: any DevicePresence) {
        self.clusterPresence.withLock { $0 = presence }
    }

    var presence: (any DevicePresence)? { self.clusterPresence.withLock { $0 } }

    func stop() async {
        await self.effects.stop()
    }

    // MARK: - Connections

    /// A connection names itself `id`: the device is online through `link`.
    /// `info` replaces what the device said before; `nil` keeps it.
    /// An older connection holding the id is closed (see the type's documentation).
    public func connect(_ id: String, transport: String, address: String?, info: JSONValue?, link: any DeviceLink) {
        let now = Hub.now()
        let (replaced, device): ((any DeviceLink)?, Device) = self.state.withLock { entries in
            var entry =
                entries[id]
                ?? Entry(
                    device: Device(
                        id: id,
                        transport: transport,
                        address: address,
                        info: .object([]),
                        online: false,
                        lastSeen: now,
                        connectedSince: nil,
                        firstSeen: now
                    ),
                    link: nil
                )
            let previous = entry.link
            if previous !== link { entry.device.connectedSince = now }
            entry.device.transport = transport
            entry.device.address = address
            if let info { entry.device.info = info }
            entry.device.online = true
            entry.device.lastSeen = now
            entry.link = link
            entries[id] = entry
            self.effects.record(
                collection: Self.collection,
                id: id,
                topic: SystemEvents.devices,
                event: "online",
                kind: "device",
                object: entry.device.json
            )
            return (previous === link ? nil : previous, entry.device)
        }
        self.presence?.holding(device)
        if let replaced {
            self.logger.warning("Device id taken over by a newer connection", metadata: ["device": "\(id)", "address": "\(address ?? "?")"])
            replaced.takeOver(reason: "device id '\(id)' was taken over by a newer connection")
        }
    }

    /// The connection `link` of device `id` ended. Nothing happens if a newer connection took the id over.
    public func disconnect(_ id: String, link: any DeviceLink) {
        let now = Hub.now()
        let released: Device? = self.state.withLock { entries in
            guard var entry = entries[id], entry.link === link else { return nil }
            entry.link = nil
            entry.device.online = false
            entry.device.connectedSince = nil
            entry.device.lastSeen = now
            entries[id] = entry
            self.effects.record(
                collection: Self.collection,
                id: id,
                topic: SystemEvents.devices,
                event: "offline",
                kind: "device",
                object: entry.device.json
            )
            return entry.device
        }
        if let released { self.presence?.released(released) }
    }

    /// A message arrived from device `id`: updates `last_seen` (in memory; stored with the next online/offline change).
    public func seen(_ id: String) {
        let now = Hub.now()
        self.state.withLock { entries in
            entries[id]?.device.lastSeen = now
        }
    }

    // MARK: - Reading

    /// Every known device, sorted by id.
    public func list() -> [Device] {
        var devices = Dictionary(uniqueKeysWithValues: self.state.withLock { entries in entries.values.map { ($0.device.id, $0.device) } })
        for remote in self.presence?.remoteDevices() ?? [] where devices[remote.id]?.online != true {
            devices[remote.id] = remote
        }
        return devices.values.sorted { $0.id < $1.id }
    }

    /// The device, as this node knows it or — in a cluster, when it is connected to another node — as that node announced it.
    public func device(_ id: String) -> Device? {
        let local = self.state.withLock { $0[id]?.device }
        if local?.online == true { return local }
        return self.presence?.remoteDevice(id) ?? local
    }

    /// The live connection of device `id`, if it is online here, or a link through the node that holds it.
    func link(_ id: String) -> (any DeviceLink)? {
        self.state.withLock { $0[id]?.link } ?? self.presence?.remoteLink(id)
    }

    /// The live connection of device `id` on this node only.
    public func localLink(_ id: String) -> (any DeviceLink)? {
        self.state.withLock { $0[id]?.link }
    }
}
