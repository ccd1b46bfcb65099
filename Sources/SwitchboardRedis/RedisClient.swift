public import Logging
public import NIOCore
import Synchronization

/// One connection for commands, kept open: reconnects by itself with back-off; while it is down every
/// command fails at once with `.unavailable` (never waits for a reconnect).
///
/// Commands may be sent from any thread, and their futures waited on (`.wait()`) from any thread that
/// is not an event loop. Many commands can be in flight at once; replies come back in order.
public final class RedisClient: Sendable {
    public typealias ConnectHandler = @Sendable () -> Void

    /// A box the connection's ready callback shares with `onConnect` (a `Mutex` cannot be captured).
    private final class ConnectHandlers: Sendable {
        private let handlers = Mutex<[ConnectHandler]>([])
        func append(_ handler: @escaping ConnectHandler) { self.handlers.withLock { $0.append(handler) } }
        func callAll() { for handler in self.handlers.withLock({ $0 }) { handler() } }
    }

    private let keeper: ConnectionKeeper
    private let eventLoopGroup: any EventLoopGroup
    private let connectHandlers = ConnectHandlers()

    public init(configuration: RedisConfiguration, eventLoopGroup: any EventLoopGroup, logger: Logger) {
        let connectHandlers = self.connectHandlers
        self.eventLoopGroup = eventLoopGroup
        self.keeper = ConnectionKeeper(
            configuration: configuration,
            eventLoopGroup: eventLoopGroup,
            logger: logger,
            prepare: { channel in channel.eventLoop.makeSucceededVoidFuture() },
            ready: { _ in connectHandlers.callAll() }
        )
    }

    /// Connects in the background; returns at once.
    public func start() { self.keeper.start() }

    /// Stops reconnecting and closes the connection; pending commands fail with `.unavailable`.
    public func close() { self.keeper.close() }

    public var isConnected: Bool { self.keeper.channel != nil }

    /// Called after every (re)connection is ready (AUTH and SELECT done), on the connection's event loop.
    public func onConnect(_ handler: @escaping ConnectHandler) {
        self.connectHandlers.append(handler)
    }

    /// One command; an error reply fails the future with kind `.server` and Redis's message.
    public func send(_ command: [RESPArg]) -> EventLoopFuture<RESPValue> {
        self.pipeline([command]).flatMapThrowing { replies in
            let reply = replies[0]
            if case .error(let message) = reply { throw RedisError.server(message) }
            return reply
        }
    }

    /// The commands in one write; the replies in order, error replies in place as `.error` values.
    public func pipeline(_ commands: [[RESPArg]]) -> EventLoopFuture<[RESPValue]> {
        guard let channel = self.keeper.channel else {
            return self.eventLoopGroup.next().makeFailedFuture(RedisError.unavailable("not connected"))
        }
        return RedisCommandHandler.Request.send(commands, on: channel)
    }
}
