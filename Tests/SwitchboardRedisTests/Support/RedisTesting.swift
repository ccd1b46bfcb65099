import Logging
import NIOCore
import NIOPosix
import Synchronization
import SwitchboardRedis
import SwitchboardTestServices
import Testing

/// What the Redis tests share: an event loop group, a logger, bounded waiting, connected clients.
enum RedisTesting {
    static var group: any EventLoopGroup { MultiThreadedEventLoopGroup.singleton }

    static let logger: Logger = {
        var logger = Logger(label: "switchboard.redis.tests")
        logger.logLevel = .warning
        return logger
    }()

    /// Polls `condition` every 20 ms until it holds or `timeout` passes; returns whether it held.
    static func eventually(timeout: Duration = .seconds(10), _ condition: () -> Bool) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if condition() { return true }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return condition()
    }

    /// A started client that is connected (or the test fails).
    static func client(_ server: RedisServer, configure: (inout RedisConfiguration) -> Void = { _ in }) async throws -> RedisClient {
        var configuration = try RedisConfiguration(url: server.url)
        configure(&configuration)
        let client = RedisClient(configuration: configuration, eventLoopGroup: self.group, logger: self.logger)
        client.start()
        try #require(await self.eventually { client.isConnected }, "client did not connect to \(server.url)")
        return client
    }
}

/// Collects what a `RedisSubscriber` hands over, for assertions from the test's thread.
final class SubscriberRecorder: Sendable {
    private let messages = Mutex<[(channel: String, payload: String)]>([])
    private let bursts = Mutex(0)
    private let subscribed = Mutex(0)

    var received: [(channel: String, payload: String)] { self.messages.withLock { $0 } }
    var count: Int { self.messages.withLock { $0.count } }
    var burstCount: Int { self.bursts.withLock { $0 } }
    var subscriptions: Int { self.subscribed.withLock { $0 } }

    /// Counts one more confirmed subscription (what `onSubscribed` does); also usable for `onConnect`.
    func countSubscription() { self.subscribed.withLock { $0 += 1 } }

    func subscriber(_ server: RedisServer, mode: RedisSubscriber.Mode = .global) throws -> RedisSubscriber {
        RedisSubscriber(
            configuration: try RedisConfiguration(url: server.url),
            eventLoopGroup: RedisTesting.group,
            mode: mode,
            logger: RedisTesting.logger,
            onMessages: { burst in
                self.bursts.withLock { $0 += 1 }
                self.messages.withLock { $0 += burst.map { ($0.channel, String(buffer: $0.payload)) } }
            },
            onSubscribed: { self.countSubscription() }
        )
    }
}
