import NIOCore
import SwitchboardRedis
import SwitchboardTestServices
import Testing

@Suite(.enabled(if: RedisServer.isAvailable, "redis-server is not installed"))
struct RedisSubscriberTests {
    @Test func receivesEveryMessageInOrder() async throws {
        let server = try RedisServer.start()
        let client = try await RedisTesting.client(server)
        defer { client.close() }
        let recorder = SubscriberRecorder()
        let subscriber = try recorder.subscriber(server)
        defer { subscriber.close() }
        subscriber.subscribe(["news", "other"])
        subscriber.start()
        #expect(await RedisTesting.eventually { recorder.subscriptions == 1 })

        let count = 5_000
        let replies = try await client.pipeline((0..<count).map { ["PUBLISH", "news", RESPArg("m\($0)")] }).get()
        #expect(replies.allSatisfy { $0 == .integer(1) }, "every PUBLISH reached one subscriber")
        #expect(await RedisTesting.eventually { recorder.count >= count })
        let received = recorder.received
        #expect(received.count == count)
        #expect(received.map(\.payload) == (0..<count).map { "m\($0)" })
        #expect(received.allSatisfy { $0.channel == "news" })
        #expect(recorder.burstCount < count, "messages come in bursts")

        subscriber.unsubscribe(["news"])
        #expect(await RedisTesting.eventually { (try? client.send(["PUBSUB", "NUMSUB", "news"]).wait().array?.last?.int) == 0 })
    }

    @Test func shardedPubSub() async throws {
        let server = try RedisServer.start()
        let client = try await RedisTesting.client(server)
        defer { client.close() }
        let recorder = SubscriberRecorder()
        let subscriber = try recorder.subscriber(server, mode: .sharded)
        defer { subscriber.close() }
        subscriber.start()
        #expect(await RedisTesting.eventually { subscriber.isConnected && recorder.subscriptions == 1 })
        // Subscribed while connected: sent at once.
        subscriber.subscribe(["{room}.a", "{room}.b"])
        #expect(await RedisTesting.eventually { (try? client.send(["PUBSUB", "SHARDNUMSUB", "{room}.a", "{room}.b"]).wait().array?.compactMap(\.int)) == [1, 1] })

        _ = try await client.send(["SPUBLISH", "{room}.a", "one"]).get()
        _ = try await client.send(["SPUBLISH", "{room}.b", "two"]).get()
        _ = try await client.send(["PUBLISH", "{room}.a", "not sharded"]).get()
        #expect(await RedisTesting.eventually { recorder.count >= 2 })
        try await Task.sleep(for: .milliseconds(100))
        #expect(recorder.received.map { "\($0.channel)=\($0.payload)" } == ["{room}.a=one", "{room}.b=two"])
    }

    @Test func survivesARedisRestart() async throws {
        let server = try RedisServer.start()
        var configuration = try RedisConfiguration(url: server.url)
        configuration.commandTimeout = .seconds(5)
        let client = RedisClient(configuration: configuration, eventLoopGroup: RedisTesting.group, logger: RedisTesting.logger)
        let connects = SubscriberRecorder()  // counts onConnect calls in its `subscriptions`
        client.onConnect { connects.countSubscription() }
        client.start()
        defer { client.close() }
        let recorder = SubscriberRecorder()
        let subscriber = try recorder.subscriber(server)
        defer { subscriber.close() }
        subscriber.subscribe(["events"])
        subscriber.start()
        #expect(await RedisTesting.eventually { client.isConnected && recorder.subscriptions == 1 && connects.subscriptions == 1 })
        _ = try await client.send(["PUBLISH", "events", "before"]).get()
        #expect(await RedisTesting.eventually { recorder.count == 1 })

        server.kill()
        #expect(await RedisTesting.eventually { !client.isConnected && !subscriber.isConnected })
        // While down, commands fail at once with .unavailable (well within the 5 s command timeout).
        for _ in 0..<5 {
            await #expect { _ = try await client.send(["PING"]).get() } throws: { ($0 as? RedisError)?.kind == .unavailable }
            await #expect { _ = try await client.pipeline([["PING"], ["PING"]]).get() } throws: { ($0 as? RedisError)?.kind == .unavailable }
        }

        try server.restart()
        #expect(await RedisTesting.eventually { client.isConnected && subscriber.isConnected })
        #expect(await RedisTesting.eventually { recorder.subscriptions == 2 }, "onSubscribed fires again after the re-subscription")
        #expect(connects.subscriptions == 2, "onConnect fires again")
        #expect(try await client.send(["PUBLISH", "events", "after"]).get() == .integer(1))
        #expect(await RedisTesting.eventually { recorder.count == 2 })
        #expect(recorder.received.map(\.payload) == ["before", "after"])
    }
}
