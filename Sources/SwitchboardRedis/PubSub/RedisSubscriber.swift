public import Logging
public import NIOCore

/// A pub/sub connection: (re)subscribes to its channels after every reconnect.
///
/// Messages come in bursts (all those of one read from the socket), in arrival order, on the
/// connection's event loop: handlers must not block.
public final class RedisSubscriber: Sendable {
    /// `global`: SUBSCRIBE and "message"; `sharded`: SSUBSCRIBE and "smessage" (Redis 7 sharded
    /// pub/sub, each channel subscribed on its own so a cluster client can route it later).
    public enum Mode: Sendable { case global, sharded }

    public typealias MessagesHandler = @Sendable ([(channel: String, payload: ByteBuffer)]) -> Void
    public typealias SubscribedHandler = @Sendable () -> Void

    private let keeper: ConnectionKeeper
    private let subscriptions: Subscriptions

    /// - Parameters:
    ///   - onMessages: a burst of messages (one channelRead batch), in arrival order.
    ///   - onSubscribed: after every (re)subscription is confirmed (at once on a connection with
    ///     no channels to subscribe): the owner catches up on what it missed while down.
    public init(
        configuration: RedisConfiguration,
        eventLoopGroup: any EventLoopGroup,
        mode: Mode = .global,
        logger: Logger,
        onMessages: @escaping MessagesHandler,
        onSubscribed: @escaping SubscribedHandler
    ) {
        let subscriptions = Subscriptions(mode: mode, logger: logger, onMessages: onMessages, onSubscribed: onSubscribed)
        self.subscriptions = subscriptions
        self.keeper = ConnectionKeeper(
            configuration: configuration,
            eventLoopGroup: eventLoopGroup,
            logger: logger,
            prepare: { channel in subscriptions.install(on: channel) },
            ready: { _ in }
        )
    }

    /// Adds channels; sent at once when connected, else with the next (re)connection.
    public func subscribe(_ channels: [String]) { self.subscriptions.subscribe(channels) }

    public func unsubscribe(_ channels: [String]) { self.subscriptions.unsubscribe(channels) }

    /// Connects in the background; returns at once.
    public func start() { self.keeper.start() }

    /// Stops reconnecting and closes the connection.
    public func close() { self.keeper.close() }

    public var isConnected: Bool { self.keeper.channel != nil }
}
