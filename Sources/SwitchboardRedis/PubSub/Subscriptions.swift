import Logging
import NIOCore
import Synchronization

/// The channels a `RedisSubscriber` wants, and the connection they are subscribed on now.
///
/// Both sit under one lock so a channel added while a connection is being set up is either in the
/// set that connection subscribes to or sent on it afterwards, never lost between the two.
final class Subscriptions: Sendable {
    private struct State {
        var channels: Set<String> = []
        var connection: (any Channel)?
    }

    private let mode: RedisSubscriber.Mode
    private let logger: Logger
    private let onMessages: RedisSubscriber.MessagesHandler
    private let onSubscribed: RedisSubscriber.SubscribedHandler
    private let state = Mutex(State())

    init(
        mode: RedisSubscriber.Mode,
        logger: Logger,
        onMessages: @escaping RedisSubscriber.MessagesHandler,
        onSubscribed: @escaping RedisSubscriber.SubscribedHandler
    ) {
        self.mode = mode
        self.logger = logger
        self.onMessages = onMessages
        self.onSubscribed = onSubscribed
    }

    /// Turns a fresh, authenticated connection into a subscriber one: the command handler makes way
    /// for a `RedisSubscriberHandler`, and every wanted channel is subscribed.
    func install(on channel: any Channel) -> EventLoopFuture<Void> {
        channel.pipeline.removeHandler(name: RedisCommandHandler.name).flatMapThrowing {
            let channels = self.state.withLock { state in
                state.connection = channel
                return state.channels
            }
            try channel.pipeline.syncOperations.addHandler(
                RedisSubscriberHandler(awaiting: channels, logger: self.logger, onMessages: self.onMessages, onSubscribed: self.onSubscribed)
            )
            channel.closeFuture.whenComplete { _ in
                self.state.withLock { state in
                    if state.connection === channel { state.connection = nil }
                }
            }
            self.write(self.mode == .global ? "SUBSCRIBE" : "SSUBSCRIBE", channels, on: channel)
        }
    }

    func subscribe(_ channels: [String]) {
        let (added, connection) = self.state.withLock { state in
            (channels.filter { state.channels.insert($0).inserted }, state.connection)
        }
        if let connection { self.write(self.mode == .global ? "SUBSCRIBE" : "SSUBSCRIBE", added, on: connection) }
    }

    func unsubscribe(_ channels: [String]) {
        let (removed, connection) = self.state.withLock { state in
            (channels.filter { state.channels.remove($0) != nil }, state.connection)
        }
        if let connection { self.write(self.mode == .global ? "UNSUBSCRIBE" : "SUNSUBSCRIBE", removed, on: connection) }
    }

    /// One command for all channels, or in sharded mode one per channel (a cluster needs each on
    /// its slot's node); all in one write. Never with no channels: that would mean "all of them".
    private func write(_ verb: String, _ channels: some Collection<String>, on connection: any Channel) {
        guard !channels.isEmpty else { return }
        let arguments = channels.map { RESPArg($0) }
        let commands: [[RESPArg]] = self.mode == .global ? [[RESPArg(verb)] + arguments] : arguments.map { [RESPArg(verb), $0] }
        var buffer = connection.allocator.buffer(capacity: RESPEncoder.estimatedSize(of: commands))
        for command in commands { RESPEncoder.write(command, into: &buffer) }
        connection.writeAndFlush(buffer, promise: nil)
    }
}
