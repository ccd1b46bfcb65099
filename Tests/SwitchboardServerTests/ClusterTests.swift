import Foundation
import Testing
import SwitchboardTestServices

/// Issue 9: several hub processes on one Redis and one PostgreSQL, over real
/// connections: one gap-free order across nodes, `kill -9` of a node, Redis restarts.
@Suite(.serialized) struct ClusterTests {
    /// Redis, PostgreSQL and `count` hub nodes sharing them.
    final class Cluster: @unchecked Sendable {
        let redis: RedisServer
        let postgres: PostgresServer
        let storeURL: String
        var nodes: [HubProcess] = []

        init(nodes count: Int) throws {
            self.redis = try RedisServer.start()
            self.postgres = try PostgresServer.start()
            self.storeURL = try self.postgres.createDatabase()
            for _ in 0..<count { self.nodes.append(try self.startNode()) }
        }

        func startNode() throws -> HubProcess {
            try HubProcess.start(
                dataDirectory: TestFiles.temporaryDirectory(), arguments: ["--store", self.storeURL, "--broker", self.redis.url])
        }

        func http(_ node: Int) -> String { "http://127.0.0.1:\(self.nodes[node].httpPort)" }

        func webSocket(_ node: Int, _ path: String = "/ws") async throws -> TestWebSocket {
            try await TestWebSocket.connect(port: self.nodes[node].httpPort, path: path)
        }

        deinit {
            for node in self.nodes { node.terminate() }
            self.redis.stop()
            self.postgres.stop()
        }
    }

    /// Subscribes to `topics` and waits for the answer.
    static func subscriber(_ cluster: Cluster, node: Int, topics: [String], since: [String: Int]? = nil) async throws -> TestWebSocket {
        let socket = try await cluster.webSocket(node)
        var request: [String: Any] = ["op": "sub", "id": "s", "topics": topics]
        if let since { request["since"] = since }
        try await socket.send(json: request)
        let answer = try await socket.nextJSON()
        #expect(answer["op"] as? String == "ok", "\(answer)")
        return socket
    }

    /// Reads envelopes until `topic` reaches seq `last`; returns the seqs and data seen.
    static func receive(_ socket: TestWebSocket, topic: String, through last: Int) async throws -> [(seq: Int, data: [String: Any])] {
        var seen: [(seq: Int, data: [String: Any])] = []
        while (seen.last?.seq ?? 0) < last {
            let message = try await socket.nextJSON(timeout: .seconds(20))
            guard message["topic"] as? String == topic, let seq = message["seq"] as? Int else { continue }
            seen.append((seq, message["data"] as? [String: Any] ?? [:]))
        }
        return seen
    }

    /// Publishes `count` messages over one WebSocket, each acknowledged; returns the acked seqs (fewer if the node died).
    static func publish(_ cluster: Cluster, node: Int, topic: String, name: String, count: Int, pause: Duration = .zero) async -> [Int] {
        var acked: [Int] = []
        guard let socket = try? await cluster.webSocket(node) else { return acked }
        for index in 1...count {
            do {
                try await socket.send(json: ["op": "pub", "id": index, "topic": topic, "data": ["by": name, "i": index]])
                let answer = try await socket.nextJSON()
                guard answer["op"] as? String == "ok", let seq = answer["seq"] as? Int else { break }
                acked.append(seq)
            } catch {
                break
            }
            if pause > .zero { try? await Task.sleep(for: pause) }
        }
        await socket.close()
        return acked
    }

    @Test func publishersOnTwoNodesSubscribersOnThreeSeeOneGapFreeOrder() async throws {
        let cluster = try Cluster(nodes: 3)
        let subscribers = [
            try await Self.subscriber(cluster, node: 0, topics: ["race/#"]),
            try await Self.subscriber(cluster, node: 1, topics: ["race/#"]),
            try await Self.subscriber(cluster, node: 2, topics: ["race/lap"]),
        ]
        let perPublisher = 300
        async let fromA = Self.publish(cluster, node: 0, topic: "race/lap", name: "a", count: perPublisher)
        async let fromB = Self.publish(cluster, node: 1, topic: "race/lap", name: "b", count: perPublisher)
        let (ackedA, ackedB) = await (fromA, fromB)
        #expect(ackedA.count == perPublisher && ackedB.count == perPublisher)
        #expect(Set(ackedA + ackedB) == Set(1...2 * perPublisher), "seqs are shared and gap-free across nodes")

        var orders: [[String]] = []
        for subscriber in subscribers {
            let seen = try await Self.receive(subscriber, topic: "race/lap", through: 2 * perPublisher)
            #expect(seen.map(\.seq) == Array(1...2 * perPublisher), "every message once, in seq order")
            let labels = seen.map { "\($0.data["by"] ?? "?")\($0.data["i"] ?? "?")" }
            #expect(Set(labels).count == 2 * perPublisher)
            orders.append(labels)
            await subscriber.close()
        }
        #expect(orders[0] == orders[1] && orders[1] == orders[2], "one order on every node")
        // The shared store holds all of it, readable on any node.
        let history = try await TestHTTP.request("GET", cluster.http(2) + "/api/v1/topics/race/lap/messages?limit=1000")
        #expect(history.status == 200)
        #expect(Self.seqs(inHistory: history.text) == Array(1...2 * perPublisher))
    }

    @Test func aNodeKilledUnderLoadLosesNothingAcked() async throws {
        let cluster = try Cluster(nodes: 3)
        let topic = "plant/line1"
        let watcher = try await Self.subscriber(cluster, node: 0, topics: [topic])
        // Publishers on the node that dies and on one that lives.
        let dying = Task { await Self.publish(cluster, node: 0, topic: topic, name: "a", count: 2000, pause: .milliseconds(1)) }
        let living = Task { await Self.publish(cluster, node: 1, topic: topic, name: "b", count: 400, pause: .milliseconds(3)) }

        let before = try await Self.receive(watcher, topic: topic, through: 150)
        cluster.nodes[0].kill9()
        let ackedByDead = await dying.value
        let ackedByLiving = await living.value
        #expect(!ackedByDead.isEmpty && ackedByDead.count < 2000, "node A died while publishing")
        #expect(ackedByLiving.count == 400)

        // The subscriber of the dead node resumes on node C from the last seq it saw.
        let lastSeen = before.last!.seq
        let resumed = try await Self.subscriber(cluster, node: 2, topics: [topic], since: [topic: lastSeen])
        let highest = (ackedByDead + ackedByLiving).max()!
        let after = try await Self.receive(resumed, topic: topic, through: highest)
        let seqs = before.map(\.seq) + after.map(\.seq)
        #expect(seqs == Array(1...highest), "no gap and no duplicate across the kill and the reconnect")
        // Every acknowledged message is in the shared store.
        let history = try await TestHTTP.request("GET", cluster.http(1) + "/api/v1/topics/\(topic)/messages?limit=10000")
        let stored = Set(Self.seqs(inHistory: history.text))
        #expect(Set(ackedByDead + ackedByLiving).isSubset(of: stored), "acked messages survive kill -9 of their node")
        await resumed.close()
        await watcher.close()
    }

    @Test func redisRestartedUnderLoadClearErrorsThenFullServiceWithoutDuplicateSeqs() async throws {
        let cluster = try Cluster(nodes: 2)
        let topic = "lab/temp"
        let watcher = try await Self.subscriber(cluster, node: 1, topics: [topic])
        var acked: [Int] = []
        for index in 1...50 {
            let answer = try await TestHTTP.post(cluster.http(0) + "/api/v1/publish/\(topic)", #"{"i":\#(index)}"#)
            #expect(answer.status == 200)
            if let seq = answer.json["seq"] as? Int { acked.append(seq) }
        }
        cluster.redis.kill()
        // While Redis is down: a clear error, fast, on every node.
        let down = try await TestHTTP.post(cluster.http(0) + "/api/v1/publish/\(topic)", #"{"i":0}"#)
        #expect(down.status == 503 && down.errorCode == "unavailable", "\(down.status) \(down.text)")
        #expect(down.text.contains("Redis"), "the error names what is down: \(down.text)")
        try cluster.redis.restart()
        // Publishing resumes by itself (bounded wait), seqs continue after the last stored one.
        var resumed = false
        for _ in 0..<100 {
            let answer = try await TestHTTP.post(cluster.http(0) + "/api/v1/publish/\(topic)", #"{"i":51}"#)
            if answer.status == 200, let seq = answer.json["seq"] as? Int {
                acked.append(seq)
                resumed = true
                break
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(resumed, "publishing resumed after Redis came back")
        for index in 52...100 {
            let answer = try await TestHTTP.post(cluster.http(1) + "/api/v1/publish/\(topic)", #"{"i":\#(index)}"#)
            #expect(answer.status == 200)
            if let seq = answer.json["seq"] as? Int { acked.append(seq) }
        }
        #expect(acked == Array(1...100), "no duplicate and no skipped seq across the restart")
        // The subscriber stayed connected and saw everything once.
        let seen = try await Self.receive(watcher, topic: topic, through: 100)
        #expect(seen.map(\.seq) == Array(1...100))
        await watcher.close()
    }

    @Test func aCommandThroughNodeAReachesADeviceOnNodeCAndItsAnswerComesBack() async throws {
        let cluster = try Cluster(nodes: 3)
        let device = try await cluster.webSocket(2)
        try await device.send(json: ["op": "hello", "id": "h", "device": "relay-7", "info": ["commands": ["toggle_relay"]]])
        #expect(try await device.nextJSON()["op"] as? String == "ok")
        // Node A learns of the device from C (bounded poll: presence travels through Redis).
        var listed = false
        for _ in 0..<50 {
            let devices = try await TestHTTP.get(cluster.http(0) + "/api/v1/devices").json["devices"] as? [[String: Any]] ?? []
            if devices.contains(where: { $0["id"] as? String == "relay-7" && $0["online"] as? Bool == true }) {
                listed = true
                break
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(listed, "node A lists the device connected to node C as online")

        async let response = TestHTTP.post(cluster.http(0) + "/api/v1/devices/relay-7/commands", #"{"name":"toggle_relay","params":{"on":true}}"#)
        let command = try await device.nextJSON(where: { $0["op"] as? String == "cmd" })
        #expect(command["name"] as? String == "toggle_relay")
        let id = try #require(command["id"] as? String)
        try await device.send(json: ["op": "cmd_result", "id": id, "result": ["relay": true]])
        let answer = try await response
        #expect(answer.status == 200, "\(answer.text)")
        #expect(answer.json["state"] as? String == "succeeded")
        #expect((answer.json["result"] as? [String: Any])?["relay"] as? Bool == true)
        await device.close()
    }

    @Test func aSensorSourceMovesToAnotherNodeWhenItsNodeDies() async throws {
        let cluster = try Cluster(nodes: 2)
        let created = try await TestHTTP.post(
            cluster.http(0) + "/api/v1/sources", #"{"name":"temp","kind":"sensor","topic":"lab/sensor","params":{"rate_hz":20}}"#)
        #expect(created.status == 200 || created.status == 201, "\(created.text)")
        let watcher = try await Self.subscriber(cluster, node: 1, topics: ["lab/sensor"])
        let first = try await Self.receive(watcher, topic: "lab/sensor", through: 5)
        #expect(first.count >= 5)
        cluster.nodes[0].kill9()
        // The lease expires (6 s) and node B takes the source over: readings go on, seqs continue.
        let later = try await Self.receive(watcher, topic: "lab/sensor", through: first.last!.seq + 20)
        let seqs = first.map(\.seq) + later.map(\.seq)
        #expect(seqs == Array(1...seqs.last!), "one gap-free sequence across the take-over")
        let source = try await TestHTTP.get(cluster.http(1) + "/api/v1/sources/temp")
        #expect(source.json["state"] as? String == "running")
        await watcher.close()
    }

    static func seqs(inHistory text: String) -> [Int] {
        guard let json = try? JSONSerialization.jsonObject(with: Data(text.utf8)) else { return [] }
        let messages = (json as? [String: Any])?["messages"] as? [[String: Any]] ?? (json as? [[String: Any]] ?? [])
        return messages.compactMap { $0["seq"] as? Int }
    }
}
