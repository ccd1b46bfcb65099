import Logging
import NIOCore
import SwitchboardControl
import SwitchboardCore
import SwitchboardMQTT

/// Everything an MQTT connection needs, shared by the TCP listener and `/mqtt` over WebSocket.
struct MQTTEndpoint: Sendable {
    let hub: Hub
    let control: ControlPlane
    let sessions: MQTTSessions
    let registry: ConnectionRegistry
    let limits: ServerLimits
    let access: MQTTAccess
    let logger: Logger

    /// The largest packet read: a message of `max_message_bytes` plus room for its topic
    /// and headers. Larger ones close the connection, as §4.8 asks of a packet a server will not take.
    var maxPacketSize: Int { self.hub.configuration.maxMessageBytes + 4096 }

    /// QoS 1 deliveries waiting for PUBACK before the client counts as a slow consumer.
    var maxInflight: Int { self.hub.configuration.outbound.maxMessages }

    /// The decoder and the connection, after whatever carries the bytes (TCP, or WebSocket frames).
    func addHandlers(to pipeline: ChannelPipeline.SynchronousOperations, transport: String) throws {
        try pipeline.addHandler(ByteToMessageHandler(PacketDecoder(maxPacketSize: self.maxPacketSize)))
        try pipeline.addHandler(MQTTConnection(endpoint: self, transport: transport))
    }
}
