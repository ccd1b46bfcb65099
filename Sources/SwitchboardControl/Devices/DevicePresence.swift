public import SwitchboardCore

/// Which node holds which device, in a cluster: lets a command sent on one
/// node reach a device connected to another, and its answer come back.
/// (`ClusterPresence` in the server implements it over Redis; one node has none.)
public protocol DevicePresence: Sendable {
    /// This node now holds `device` (it connected here).
    func holding(_ device: Device)
    /// This node no longer holds `device` (its connection ended).
    func released(_ device: Device)
    /// The device as last announced by the node that holds it, if another node does.
    func remoteDevice(_ id: String) -> Device?
    /// Every device other nodes hold now.
    func remoteDevices() -> [Device]
    /// A link that forwards commands to the node holding `id`, if another node does.
    func remoteLink(_ id: String) -> (any DeviceLink)?
    /// Sends an answer to a command this node did not create to the node that did;
    /// `false` if no node forwarded that command here.
    func forwardAnswer(_ answer: CommandAnswer, from device: String) -> Bool
}
