import NIOCore
import SwitchboardRedis
import SwitchboardTestServices
import Testing

/// RedisClient against a real redis-server on loopback (skipped when it is not installed, except under CI=true).
@Suite(.enabled(if: RedisServer.isAvailable, "redis-server is not installed"))
struct RedisClientTests {
    @Test func setGetIncrDel() async throws {
        let server = try RedisServer.start()
        let client = try await RedisTesting.client(server)
        defer { client.close() }

        #expect(try await client.send(["SET", "greeting", "hello"]).get() == .simpleString("OK"))
        #expect(try await client.send(["GET", "greeting"]).get().string == "hello")
        #expect(try await client.send(["INCR", "counter"]).get() == .integer(1))
        #expect(try await client.send(["INCRBY", "counter", RESPArg(41)]).get().int == 42)
        #expect(try await client.send(["GET", "counter"]).get().int == 42)
        #expect(try await client.send(["DEL", "greeting", "counter"]).get() == .integer(2))

        let missing = try await client.send(["GET", "greeting"]).get()
        #expect(missing == .bulkString(nil) && missing.isNull)
    }

    @Test func errorReplyFailsWithRedisMessage() async throws {
        let server = try RedisServer.start()
        let client = try await RedisTesting.client(server)
        defer { client.close() }

        _ = try await client.send(["SET", "text", "x"]).get()
        await #expect {
            _ = try await client.send(["INCR", "text"]).get()
        } throws: { error in
            let error = error as? RedisError
            return error?.kind == .server && error?.message == "ERR value is not an integer or out of range"
        }
        // The connection stays usable after an error reply.
        #expect(try await client.send(["PING"]).get() == .simpleString("PONG"))
    }

    @Test func arraysFromXRANGE() async throws {
        let server = try RedisServer.start()
        let client = try await RedisTesting.client(server)
        defer { client.close() }

        for (id, value) in [("1-1", "a"), ("1-2", "b"), ("2-1", "c")] {
            _ = try await client.send(["XADD", "stream", RESPArg(id), "field", RESPArg(value)]).get()
        }
        let entries = try #require(try await client.send(["XRANGE", "stream", "-", "+"]).get().array)
        let flattened = entries.map { entry in
            let parts = entry.array ?? []
            return [parts.first?.string ?? "?"] + (parts.last?.array ?? []).compactMap(\.string)
        }
        #expect(flattened == [["1-1", "field", "a"], ["1-2", "field", "b"], ["2-1", "field", "c"]])
        #expect(try await client.send(["XRANGE", "nothing", "-", "+"]).get() == .array([]))
    }

    @Test func pipelineOfTenThousandIncrs() async throws {
        let server = try RedisServer.start()
        let client = try await RedisTesting.client(server)
        defer { client.close() }

        let commands = Array(repeating: ["INCR", "pipelined"] as [RESPArg], count: 10_000)
        let replies = try await client.pipeline(commands).get()
        #expect(replies == (1...10_000).map { RESPValue.integer(Int64($0)) })

        // Error replies come back in place.
        let mixed = try await client.pipeline([["SET", "s", "x"], ["INCR", "s"], ["GET", "s"]]).get()
        #expect(mixed.count == 3 && mixed[1] == .error("ERR value is not an integer or out of range") && mixed[2].string == "x")
    }

    @Test func evalshaLoadsTheScriptAfterScriptFlush() async throws {
        let server = try RedisServer.start()
        let client = try await RedisTesting.client(server)
        defer { client.close() }

        let script = RedisScript("return redis.call('INCRBY', KEYS[1], ARGV[1]) * 10")
        #expect(try await client.evalsha(script, keys: ["n"], args: [RESPArg(2)]).get() == .integer(20))
        #expect(try await client.send(["SCRIPT", "FLUSH"]).get() == .simpleString("OK"))
        #expect(try await client.evalsha(script, keys: ["n"], args: [RESPArg(3)]).get() == .integer(50))
        // A script error is a server error, not retried.
        await #expect(throws: RedisError.self) {
            _ = try await client.evalsha(RedisScript("return redis.call('NOPE')"), keys: [], args: []).get()
        }
    }

    @Test func commandTimeoutFailsTheCommandAndReconnects() async throws {
        let server = try RedisServer.start()
        let client = try await RedisTesting.client(server) { $0.commandTimeout = .milliseconds(300) }
        defer { client.close() }

        // BLPOP blocks this connection server-side for 2 s: longer than the command timeout.
        let blocked = client.send(["BLPOP", "empty", "2"])
        let behind = client.send(["PING"])
        await #expect { _ = try await blocked.get() } throws: { ($0 as? RedisError)?.kind == .timeout }
        await #expect { _ = try await behind.get() } throws: { ($0 as? RedisError)?.kind == .unavailable }
        #expect(await RedisTesting.eventually { client.isConnected })
        #expect(try await client.send(["PING"]).get() == .simpleString("PONG"))
    }

    @Test func authWithPassword() async throws {
        let server = try RedisServer.start(arguments: ["--requirepass", "s3cret"])
        let withPassword = try await RedisTesting.client(server) { $0.password = "s3cret" }
        defer { withPassword.close() }
        #expect(try await withPassword.send(["SET", "k", "v"]).get() == .simpleString("OK"))

        let withUser = try await RedisTesting.client(server) {
            $0.username = "default"
            $0.password = "s3cret"
            $0.database = 2
        }
        defer { withUser.close() }
        #expect(try await withUser.send(["GET", "k"]).get().isNull, "database 2 is not database 0")

        let wrong = RedisClient(configuration: try RedisConfiguration(url: "redis://:nope@127.0.0.1:\(server.port)"), eventLoopGroup: RedisTesting.group, logger: RedisTesting.logger)
        wrong.start()
        defer { wrong.close() }
        try await Task.sleep(for: .milliseconds(300))
        #expect(!wrong.isConnected)
        await #expect { _ = try await wrong.send(["PING"]).get() } throws: { ($0 as? RedisError)?.kind == .unavailable }
    }

    @Test func closeFailsPendingCommandsAndStopsReconnecting() async throws {
        let server = try RedisServer.start()
        let client = try await RedisTesting.client(server)
        let blocked = client.send(["BLPOP", "empty", "5"])
        client.close()
        await #expect { _ = try await blocked.get() } throws: { ($0 as? RedisError)?.kind == .unavailable }
        try await Task.sleep(for: .milliseconds(200))
        #expect(!client.isConnected)
    }
}
