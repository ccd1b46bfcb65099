import Logging
import NIOCore
import NIOPosix
import Synchronization

/// Keeps one connection to Redis open: connects, authenticates and selects the database, lets its
/// owner prepare the channel, and after a failure or a close tries again after a back-off that
/// doubles from `minBackoff` to `maxBackoff` (reset by a successful connection), until `close()`.
///
/// `channel` is set only while a connection is ready, so callers can fail at once when it is nil
/// instead of waiting for a reconnect.
final class ConnectionKeeper: Sendable {
    /// Runs on the new channel's event loop before it counts as ready; a failure drops the connection.
    typealias Prepare = @Sendable (any Channel) -> EventLoopFuture<Void>
    /// Runs after the connection is ready (`channel` is set).
    typealias Ready = @Sendable (any Channel) -> Void

    private struct State {
        var started = false
        var closed = false
        var channel: (any Channel)?
        var retry: Scheduled<Void>?
        var backoff: Duration
        /// Failed attempts since the last good connection: only the first is logged as a warning.
        var failures = 0
    }

    let configuration: RedisConfiguration
    private let eventLoopGroup: any EventLoopGroup
    private let logger: Logger
    private let prepare: Prepare
    private let ready: Ready
    private let state: Mutex<State>

    init(
        configuration: RedisConfiguration,
        eventLoopGroup: any EventLoopGroup,
        logger: Logger,
        prepare: @escaping Prepare,
        ready: @escaping Ready
    ) {
        var logger = logger
        logger[metadataKey: "redis.address"] = "\(configuration.host):\(configuration.port)"
        self.configuration = configuration
        self.eventLoopGroup = eventLoopGroup
        self.logger = logger
        self.prepare = prepare
        self.ready = ready
        self.state = Mutex(State(backoff: configuration.minBackoff))
    }

    /// The ready connection; nil from the moment it starts closing, before `lost` has run.
    var channel: (any Channel)? { self.state.withLock { $0.channel }.flatMap { $0.isActive ? $0 : nil } }

    func start() {
        let first = self.state.withLock { state in
            defer { state.started = true }
            return !state.started && !state.closed
        }
        if first { self.attempt() }
    }

    func close() {
        let (channel, retry) = self.state.withLock { state in
            state.closed = true
            defer { state.channel = nil; state.retry = nil }
            return (state.channel, state.retry)
        }
        retry?.cancel()
        channel?.close(promise: nil)
    }

    // MARK: - Connecting

    private func attempt() {
        guard !self.state.withLock({ $0.closed }) else { return }
        let configuration = self.configuration
        ClientBootstrap(group: self.eventLoopGroup)
            .connectTimeout(configuration.connectTimeout.timeAmount)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(RESPDecoder()))
                    try channel.pipeline.syncOperations.addHandler(
                        RedisCommandHandler(timeout: configuration.commandTimeout.timeAmount),
                        name: RedisCommandHandler.name
                    )
                }
            }
            .connect(host: configuration.host, port: configuration.port)
            .flatMap { channel in
                self.handshake(channel)
                    .flatMap { self.prepare(channel) }
                    .map { channel }
                    .flatMapErrorThrowing { error in
                        channel.close(promise: nil)
                        throw error
                    }
            }
            .whenComplete { result in
                switch result {
                case .success(let channel): self.connected(channel)
                case .failure(let error): self.failed(error)
                }
            }
    }

    /// AUTH and SELECT, pipelined; an error reply fails the connection.
    private func handshake(_ channel: any Channel) -> EventLoopFuture<Void> {
        var commands: [[RESPArg]] = []
        if let password = self.configuration.password {
            if let username = self.configuration.username, !username.isEmpty {
                commands.append(["AUTH", RESPArg(username), RESPArg(password)])
            } else {
                commands.append(["AUTH", RESPArg(password)])
            }
        }
        if let database = self.configuration.database, database != 0 {
            commands.append(["SELECT", RESPArg(database)])
        }
        return RedisCommandHandler.Request.send(commands, on: channel).flatMapThrowing { replies in
            for case .error(let message) in replies { throw RedisError.server(message) }
        }
    }

    private func connected(_ channel: any Channel) {
        let accepted = self.state.withLock { state in
            guard !state.closed else { return false }
            state.channel = channel
            state.backoff = self.configuration.minBackoff
            state.failures = 0
            return true
        }
        guard accepted else {
            channel.close(promise: nil)
            return
        }
        self.logger.info("redis connected")
        channel.closeFuture.whenComplete { _ in self.lost(channel) }
        self.ready(channel)
    }

    private func lost(_ channel: any Channel) {
        let reconnect = self.state.withLock { state in
            guard state.channel === channel else { return false }
            state.channel = nil
            return !state.closed
        }
        guard reconnect else { return }
        self.logger.warning("redis connection lost")
        self.scheduleAttempt()
    }

    private func failed(_ error: any Error) {
        let failures = self.state.withLock { state in
            state.failures += 1
            return state.failures
        }
        if failures == 1 {
            self.logger.warning("redis connection failed", metadata: ["error": "\(error)"])
        } else {
            self.logger.debug("redis connection failed", metadata: ["error": "\(error)", "redis.attempts": "\(failures)"])
        }
        self.scheduleAttempt()
    }

    private func scheduleAttempt() {
        let loop = self.eventLoopGroup.next()
        self.state.withLock { state in
            guard !state.closed else { return }
            let delay = state.backoff
            state.backoff = min(state.backoff * 2, self.configuration.maxBackoff)
            state.retry = loop.scheduleTask(in: delay.timeAmount) { self.attempt() }
        }
    }
}
