import NIOCore

/// Opens the MQTT session of a fresh connection: sends CONNECT once the connection
/// is up and checks the CONNACK; for a subscriber then sends SUBSCRIBE and checks
/// the SUBACK. Then it puts the application handler in its place, hands it any
/// bytes that came after the last acknowledgement, and leaves the pipeline, so
/// the receive path has no extra hop.
///
/// `done` succeeds once the application handler is in place, and fails if the
/// server refuses, breaks the protocol or closes the connection first.
final class MQTTHandshakeHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private enum Step: String {
        case connecting = "waiting for CONNACK"
        case subscribing = "waiting for SUBACK"
        /// Acknowledged: the application handler takes over.
        case ready
        /// Handed over, or failed.
        case over
    }

    /// Packet identifier of our one SUBSCRIBE.
    private static let subscribePacketID: UInt16 = 1
    /// The handshake's packets are a few bytes; anything near this is not MQTT.
    private static let maxPacketSize = 1 << 16

    private let clientID: String
    /// The topic filter to subscribe to; nil for the publisher.
    private let subscribeTo: String?
    private let done: EventLoopPromise<Void>
    private let install: () -> any ChannelHandler
    private var step = Step.connecting
    private var sentConnect = false
    private var received = ByteBuffer()

    init(clientID: String, subscribeTo: String?, done: EventLoopPromise<Void>, install: @escaping () -> any ChannelHandler) {
        self.clientID = clientID
        self.subscribeTo = subscribeTo
        self.done = done
        self.install = install
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { sendConnect(context: context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        sendConnect(context: context)
        context.fireChannelActive()
    }

    private func sendConnect(context: ChannelHandlerContext) {
        guard !sentConnect else { return }
        sentConnect = true
        context.writeAndFlush(wrapOutboundOut(MQTTPacket.connect(clientID: clientID, allocator: context.channel.allocator)), promise: nil)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard step == .connecting || step == .subscribing else { return }
        var bytes = unwrapInboundIn(data)
        received.writeBuffer(&bytes)
        do {
            while step != .ready, let (first, body) = try nextPacket() {
                try handle(first: first, body: body, context: context)
            }
            if step == .ready { handOver(context: context) }
        } catch {
            fail(error, context: context)
        }
    }

    /// Takes the next complete packet off `received`: its first byte and body.
    private func nextPacket() throws -> (UInt8, [UInt8])? {
        let next = try received.withUnsafeReadableBytes { bytes in
            try MQTTPacket.next(bytes, at: 0, maxPacketSize: Self.maxPacketSize).map { ($0.packet.first, Array($0.packet.body), $0.end) }
        }
        guard let (first, body, end) = next else { return nil }
        received.moveReaderIndex(forwardBy: end)
        return (first, body)
    }

    private func handle(first: UInt8, body: [UInt8], context: ChannelHandlerContext) throws {
        switch (step, first >> 4) {
        case (.connecting, MQTTPacket.Kind.connack):
            guard body.count == 2 else { throw MQTTError.protocolViolation("CONNACK of \(body.count) bytes") }
            guard body[1] == 0 else { throw MQTTError.connectionRefused(returnCode: body[1]) }
            if let topic = subscribeTo {
                let subscribe = MQTTPacket.subscribe(packetID: Self.subscribePacketID, topic: topic, allocator: context.channel.allocator)
                context.writeAndFlush(wrapOutboundOut(subscribe), promise: nil)
                step = .subscribing
            } else {
                step = .ready
            }
        case (.subscribing, MQTTPacket.Kind.suback):
            guard body.count == 3, UInt16(body[0]) << 8 | UInt16(body[1]) == Self.subscribePacketID else {
                throw MQTTError.protocolViolation("SUBACK \(body) for one subscription with packet identifier \(Self.subscribePacketID)")
            }
            guard body[2] != 0x80 else { throw MQTTError.subscriptionRefused(topic: subscribeTo ?? "") }
            step = .ready
        case (.subscribing, MQTTPacket.Kind.publish), (.subscribing, MQTTPacket.Kind.pingresp):
            // §3.8.4 lets a server publish before its SUBACK, e.g. a retained message;
            // it is not one of ours: the publisher connects after every subscriber.
            break
        default:
            throw MQTTError.protocolViolation("packet type \(first >> 4) while \(step.rawValue)")
        }
    }

    private func handOver(context: ChannelHandlerContext) {
        let operations = context.pipeline.syncOperations
        do {
            try operations.addHandler(install(), position: .after(self))
        } catch {
            fail(error, context: context)
            return
        }
        step = .over
        if received.readableBytes > 0 {
            context.fireChannelRead(wrapInboundOut(received))
            received = ByteBuffer()
        }
        operations.removeHandler(context: context, promise: nil)
        done.succeed()
    }

    private func fail(_ error: any Error, context: ChannelHandlerContext) {
        guard step != .over else { return }
        step = .over
        done.fail(error)
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        fail(MQTTError.closedDuringHandshake(step.rawValue), context: context)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        fail(error, context: context)
    }
}
