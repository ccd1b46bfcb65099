import Logging
import NIOCore

/// Reads a subscriber connection's pushes: messages are gathered into one burst per socket read and
/// handed over at channelReadComplete; subscription confirmations are counted until the set the
/// connection started with is complete, then `onSubscribed` runs (once per connection).
final class RedisSubscriberHandler: ChannelInboundHandler {
    typealias InboundIn = RESPValue

    private var awaiting: Set<String>
    private var confirmed = false
    private var burst: [(channel: String, payload: ByteBuffer)] = []
    private let logger: Logger
    private let onMessages: RedisSubscriber.MessagesHandler
    private let onSubscribed: RedisSubscriber.SubscribedHandler

    init(
        awaiting: Set<String>,
        logger: Logger,
        onMessages: @escaping RedisSubscriber.MessagesHandler,
        onSubscribed: @escaping RedisSubscriber.SubscribedHandler
    ) {
        self.awaiting = awaiting
        self.logger = logger
        self.onMessages = onMessages
        self.onSubscribed = onSubscribed
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.confirmIfComplete()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let push = Self.unwrapInboundIn(data)
        if case .error(let message) = push {
            self.logger.error("redis refused a subscription command", metadata: ["error": "\(message)"])
            return
        }
        guard let parts = push.array, let kind = parts.first?.string else {
            self.logger.debug("redis pub/sub: unexpected push", metadata: ["push": "\(push)"])
            return
        }
        switch kind {
        case "message", "smessage":
            guard parts.count == 3, let channel = parts[1].string else { return }
            self.burst.append((channel, parts[2].buffer ?? ByteBuffer()))
        case "subscribe", "ssubscribe", "unsubscribe", "sunsubscribe":
            if parts.count >= 2, let channel = parts[1].string { self.awaiting.remove(channel) }
            self.confirmIfComplete()
        default:
            break  // pong and the like
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        self.flush()
        context.fireChannelReadComplete()
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.flush()
        context.fireChannelInactive()
    }

    private func confirmIfComplete() {
        guard !self.confirmed, self.awaiting.isEmpty else { return }
        self.confirmed = true
        self.flush()  // what arrived before the last confirmation goes first, in order
        self.onSubscribed()
    }

    private func flush() {
        guard !self.burst.isEmpty else { return }
        let burst = self.burst
        self.burst.removeAll(keepingCapacity: true)
        self.onMessages(burst)
    }
}
