import Logging
import NIOCore
import SwitchboardControl
import SwitchboardCore
import SwitchboardMQTT

/// One MQTT 3.1.1 connection (over TCP or WebSocket), driven on its event loop.
///
/// Inbound packets arrive decoded and checked by ``PacketDecoder``; a packet
/// that breaks the protocol closes this connection only (§4.8). Outbound
/// messages come from the hub's fan-out through the connection's ``Session``
/// (the same replay, ordering and bounded queue as `/ws`) and are written as
/// PUBLISH packets by the ``Outlet`` methods.
///
/// `@unchecked Sendable`: state is touched only on the event loop (commit
/// completions and takeovers hop there first).
final class MQTTConnection: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = Packet
    typealias OutboundOut = ByteBuffer

    enum Phase {
        /// Nothing received yet: the first packet must be CONNECT ([MQTT-3.1.0-1]).
        case awaitingConnect
        /// CONNECT received; checking credentials or waiting for an older connection with the id to close.
        case connecting
        case connected
        case closed
    }

    let endpoint: MQTTEndpoint
    /// `mqtt` or `mqtt-ws`, shown in the device registry and metrics.
    let transport: String
    var hub: Hub { self.endpoint.hub }
    var logger: Logger
    private(set) var context: ChannelHandlerContext?
    var eventLoop: (any EventLoop)?
    var phase = Phase.awaitingConnect
    /// Packets that arrived while ``Phase/connecting``, handled once connected.
    var pending: [Packet] = []

    // Set at CONNECT.
    var clientID = ""
    /// Whether the client chose its id (then it is a device), rather than the hub assigning one.
    var isDevice = false
    var cleanSession = true
    var will: Connect.Will?
    var permissions = MQTTAccess.Permissions.all
    var session: Session?
    /// The device id this connection holds in the device registry.
    var registeredDevice: String?
    /// Completed once the connection has ended and saved its session (what a takeover waits for).
    var finished: EventLoopPromise<Void>?

    // Subscriptions and delivery state.
    /// Granted QoS per subscribed filter.
    var subscriptions: [TopicPattern: QoS] = [:]
    /// Delivery QoS per topic: the highest granted QoS of the filters it matches.
    var deliveryQoS: [String: QoS] = [:]
    /// Persistent session: the last seq delivered per topic, as last saved.
    var positions: [String: Int64] = [:]
    /// QoS 1 deliveries waiting for PUBACK.
    var inflight: [UInt16: (topic: String, seq: Int64)] = [:]
    var lastPacketID: UInt16 = 0
    /// Per topic, the highest seq the client acknowledged (QoS 1).
    var acknowledged: [String: Int64] = [:]
    /// The newest message of each topic a SUBSCRIBE matched: sent with RETAIN set (§3.3.1.3).
    var retainedPending: [String: Int64] = [:]
    /// Incoming QoS 2 packet ids stored but not yet released by PUBREL; `true` once committed.
    var awaitingRelease: [UInt16: Bool] = [:]

    /// DISCONNECT was received: no will.
    var disconnectedCleanly = false
    /// The hub is shutting down: no will either.
    var shuttingDown = false
    /// Counted in the connection registry.
    var registered = false
    /// ``finish()`` ran.
    var ended = false

    init(endpoint: MQTTEndpoint, transport: String) {
        self.endpoint = endpoint
        self.transport = transport
        self.logger = endpoint.logger
    }

    // MARK: - Channel events

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        self.eventLoop = context.eventLoop
        self.finished = context.eventLoop.makePromise(of: Void.self)
        let registered = self.endpoint.registry.add(ObjectIdentifier(self)) { [self] in
            self.eventLoop?.execute {
                self.shuttingDown = true
                self.close(reason: "the hub is shutting down")
            }
        }
        self.registered = registered
        if !registered {
            // Refusing before CONNECT: CONNACK "server unavailable" needs a CONNECT to answer; just close.
            self.logger.warning("MQTT connection refused: too many connections")
            self.phase = .closed
            context.close(promise: nil)
            return
        }
        ServerMetrics.shared.mqttConnected()
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.finish()
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.finish()
        self.context = nil
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if let error = error as? PacketError {
            if error.code == "unsupported_level", self.phase == .awaitingConnect {
                // §3.1.2.2: answer CONNACK 0x01, then close.
                self.refuse(.unacceptableProtocolVersion, reason: error.message)
                return
            }
            self.protocolViolation(error.description)
        } else {
            self.logger.debug("MQTT connection error", metadata: ["error.type": "\(error)"])
            self.close(reason: "\(error)")
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? IdleStateHandler.IdleStateEvent, event == .read {
            // §3.1.2.10: nothing for 1.5 × keep-alive: the client is gone.
            self.logger.debug("MQTT keep-alive expired", metadata: ["mqtt.client_id": "\(self.clientID)"])
            self.close(reason: "keep-alive expired")
            return
        }
        if let event = event as? ChannelEvent, event == .inputClosed {
            self.close(reason: "the client closed its side")
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let packet = Self.unwrapInboundIn(data)
        switch self.phase {
        case .awaitingConnect:
            guard case .connect(let connect) = packet else {
                self.protocolViolation("the first packet must be CONNECT, not \(packet.kind)")
                return
            }
            self.phase = .connecting
            self.connect(connect)
        case .connecting:
            if case .connect = packet {
                self.protocolViolation("a second CONNECT")
                return
            }
            self.pending.append(packet)
        case .connected:
            self.handle(packet)
        case .closed:
            break
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        context.flush()
    }

    /// Handles one packet of a connected client.
    func handle(_ packet: Packet) {
        switch packet {
        case .publish(let publish): self.received(publish)
        case .puback(let id): self.acknowledged(id)
        case .pubrel(let id): self.released(id)
        case .subscribe(let subscribe): self.subscribe(subscribe)
        case .unsubscribe(let unsubscribe): self.unsubscribe(unsubscribe)
        case .pingreq: self.send(.pingresp)
        case .disconnect:
            // §3.14.4: discard the will, close.
            self.disconnectedCleanly = true
            self.will = nil
            self.close(reason: "DISCONNECT")
        case .connect:
            self.protocolViolation("a second CONNECT")
        case .pubrec, .pubcomp:
            // The hub never sends QoS 2, so these acknowledge nothing: ignored, as unknown ids are.
            break
        case .connack, .suback, .unsuback, .pingresp:
            self.protocolViolation("\(packet.kind) is sent by servers, not clients")
        }
    }

    // MARK: - Writing

    /// Writes a control packet in order with the deliveries, and flushes.
    func send(_ packet: Packet) {
        var buffer = ByteBuffer()
        packet.write(to: &buffer)
        if let session = self.session {
            session.writeControl(buffer)
        } else if let context = self.context {
            context.writeAndFlush(Self.wrapOutboundOut(buffer), promise: nil)
        }
    }

    // MARK: - Closing

    /// Closes the connection for a malformed packet or a protocol violation (§4.8).
    func protocolViolation(_ reason: String) {
        ServerMetrics.shared.error(code: "protocol_error", transport: self.transport)
        self.logger.info("MQTT protocol violation; closing", metadata: ["mqtt.client_id": "\(self.clientID)", "reason": "\(reason)"])
        self.close(reason: reason)
    }

    /// Answers CONNECT with a refusal, then closes (§3.2.2.3).
    func refuse(_ code: ConnAck.ReturnCode, reason: String) {
        guard let context = self.context else { return }
        self.logger.info("MQTT connection refused", metadata: ["mqtt.client_id": "\(self.clientID)", "reason": "\(reason)"])
        self.phase = .closed
        let channel = context.channel
        context.writeAndFlush(Self.wrapOutboundOut(Packet.connack(.init(sessionPresent: false, returnCode: code)).bytes))
            .whenComplete { _ in channel.close(promise: nil) }
    }

    func close(reason: String) {
        guard let context = self.context else { return }
        self.session?.flush()
        self.finish()
        context.close(promise: nil)
    }

    /// Ends the connection's part in the hub: saves a persistent session, publishes the
    /// will unless the client said DISCONNECT, marks the device offline. Runs once.
    func finish() {
        guard !self.ended else { return }
        self.ended = true
        let wasConnected = self.phase == .connected
        self.phase = .closed
        self.pending.removeAll()
        if let session = self.session {
            if !self.cleanSession && wasConnected { self.saveSession(written: session.writtenSeqs) }
            session.close()
            self.session = nil
        }
        if wasConnected, let will = self.will, !self.shuttingDown {
            self.will = nil
            self.publishWill(will)
        }
        self.unregisterDevice()
        if !self.clientID.isEmpty { self.endpoint.sessions.release(self.clientID, by: self) }
        if self.registered {
            self.endpoint.registry.remove(ObjectIdentifier(self))
            ServerMetrics.shared.mqttDisconnected()
        }
        self.finished?.succeed()
    }
}

extension MQTTConnection: MQTTSessions.Holder {
    func takeOver() -> EventLoopFuture<Void> {
        guard let eventLoop = self.eventLoop else { preconditionFailure("a holder is in a pipeline") }
        return eventLoop.flatSubmit {
            // §3.1.4-2: the older connection with the same client id is closed.
            let done = self.finished!.futureResult
            self.logger.info("MQTT client id taken over by a newer connection", metadata: ["mqtt.client_id": "\(self.clientID)"])
            self.close(reason: "client id taken over")
            return done
        }
    }
}
