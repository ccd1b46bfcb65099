import Dispatch
import Logging
import NIOCore
import NIOPosix
import SwitchboardCore
import SwitchboardRedis
import Synchronization

/// Several hub nodes as one, through Redis: seqs from a Redis script, fan-out
/// between nodes by Redis pub/sub, the recent past in capped Redis streams.
///
/// Each node subscribes to every shard channel. Announcements arrive in seq
/// order per topic and go through one serial inbox: a message that skips
/// ahead (the subscription was down a moment) first has the missing seqs read
/// from the topic's recent log, so subscribers never see a gap or a duplicate.
final class RedisBroker: ClusterBroker {
    let configuration: RedisConfiguration
    let keys = ClusterKeys()
    /// Entries kept per topic in Redis's recent log.
    let logLength: Int
    let logger: Logger
    let client: RedisClient
    let subscriber: Mutex<RedisSubscriber?> = Mutex(nil)
    let node = Mutex<(any ClusterNode)?>(nil)
    /// Everything received is handled here, in order; blocking Redis reads are fine on it.
    let inbox = DispatchQueue(label: "switchboard.cluster.inbox")
    let eventLoopGroup: any EventLoopGroup

    init(url: String, logLength: Int = 10_000, logger: Logger) throws {
        self.configuration = try RedisConfiguration(url: url)
        self.logLength = logLength
        self.logger = logger
        self.eventLoopGroup = MultiThreadedEventLoopGroup.singleton
        self.client = RedisClient(configuration: self.configuration, eventLoopGroup: self.eventLoopGroup, logger: logger)
    }

    var address: String { "\(self.configuration.host):\(self.configuration.port)" }

    func start(node: any ClusterNode) {
        self.node.withLock { $0 = node }
        self.client.start()
        let subscriber = RedisSubscriber(
            configuration: self.configuration, eventLoopGroup: self.eventLoopGroup, mode: .global, logger: self.logger,
            onMessages: { [weak self] messages in
                guard let self else { return }
                let payloads = messages.map(\.payload)
                self.inbox.async { self.receive(payloads) }
            },
            onSubscribed: { [weak self] in
                guard let self else { return }
                self.inbox.async { self.catchUp() }
            })
        subscriber.subscribe(self.keys.channels)
        subscriber.start()
        self.subscriber.withLock { $0 = subscriber }
        self.logger.info("Cluster broker started", metadata: ["redis": "\(self.address)"])
    }

    func stop() {
        self.subscriber.withLock { $0 }?.close()
        self.client.close()
        self.inbox.sync {}
    }

    // MARK: - Announcing (committer thread)

    func announce(_ runs: [AnnouncedRun]) throws(HubError) -> [Int64] {
        guard self.client.isConnected else { throw self.unreachable(nil) }
        var firstSeqs = [Int64?](repeating: nil, count: runs.count)
        var seeds: [String: Int64]? = nil
        for _ in 0..<2 {
            let pending = runs.indices.filter { firstSeqs[$0] == nil }
            guard !pending.isEmpty else { break }
            let futures = pending.map { index in
                self.announce(runs[index], seed: seeds.map { $0[runs[index].topic] ?? 0 })
            }
            var missingCounter = false
            for (index, future) in zip(pending, futures) {
                do {
                    firstSeqs[index] = try future.wait().int
                } catch let error as RedisError where error.kind == .server && error.message.hasPrefix("NOSEQ") {
                    missingCounter = true
                } catch {
                    throw self.unreachable(error)
                }
            }
            guard missingCounter, seeds == nil else { break }
            // Redis lost its counters (restarted empty): seed them from the store, which holds every acknowledged message.
            do {
                seeds = try self.node.withLock { $0 }?.storedSeqs() ?? [:]
            } catch {
                throw HubError.unavailable("cannot re-seed Redis's seq counters from the store: \(error)")
            }
            self.logger.notice("Re-seeding seq counters in Redis from the store", metadata: ["redis": "\(self.address)"])
        }
        return try firstSeqs.map { first throws(HubError) in
            guard let first else { throw HubError.unavailable("Redis at \(self.address) gave no seq") }
            return first
        }
    }

    private func announce(_ run: AnnouncedRun, seed: Int64?) -> EventLoopFuture<RESPValue> {
        var args: [RESPArg] = [
            RESPArg(self.keys.channel(run.topic)), RESPArg(self.logLength), RESPArg(run.floor),
            RESPArg(seed.map { String($0) } ?? ""), RESPArg(run.topic), RESPArg(ClusterCodec.header(topic: run.topic)),
        ]
        args.reserveCapacity(args.count + run.messages.count)
        for message in run.messages { args.append(RESPArg(ClusterCodec.entry(message))) }
        return self.client.evalsha(
            AnnounceScript.script,
            keys: [RESPArg(self.keys.seqKey(run.topic)), RESPArg(self.keys.logKey(run.topic)), RESPArg(self.keys.topicsKey(run.topic))],
            args: args)
    }

    private func unreachable(_ error: (any Error)?) -> HubError {
        .unavailable("the cluster broker (Redis at \(self.address)) is unreachable\(error.map { ": \($0)" } ?? ""); publishing resumes when it is back")
    }

    // MARK: - The recent log

    func recent(topic: String, after: Int64, limit: Int) -> [StoredMessage]? {
        guard self.client.isConnected, limit > 0 else { return nil }
        guard let rows = try? self.readLog(topic: topic, after: after, limit: limit) else { return nil }
        // Only an answer if the log reaches back to the first message wanted.
        guard let first = rows.first, first.seq == after + 1 else { return nil }
        return rows
    }

    /// Entries of `topic`'s recent log with `seq > after`, oldest first (blocking).
    func readLog(topic: String, after: Int64, limit: Int) throws -> [StoredMessage] {
        let reply = try self.client.send(["XRANGE", RESPArg(self.keys.logKey(topic)), RESPArg("\(after + 1)-0"), "+", "COUNT", RESPArg(limit)]).wait()
        return try (reply.array ?? []).map { item in
            guard let pair = item.array, pair.count == 2, let id = pair[0].string, let fields = pair[1].array, fields.count >= 2,
                let seq = Int64(id.split(separator: "-").first ?? ""), let entry = fields[1].buffer
            else { throw ClusterCodec.Malformed(description: "unexpected XRANGE entry \(item)") }
            return try ClusterCodec.decodeEntry(entry, topic: topic, seq: seq)
        }
    }

    // MARK: - Receiving (inbox queue)

    private func receive(_ payloads: [ByteBuffer]) {
        guard let node = self.node.withLock({ $0 }) else { return }
        var delivered: [String: Int64] = [:]
        var out: [StoredMessage] = []
        for payload in payloads {
            let announcement: ClusterCodec.Announcement
            do {
                announcement = try ClusterCodec.decodeAnnouncement(payload)
            } catch {
                self.logger.error("Skipping a malformed cluster announcement", metadata: ["error.type": "\(error)"])
                continue
            }
            let topic = announcement.topic
            let last = delivered[topic] ?? node.deliveredSeq(topic)
            var next = last + 1
            if announcement.firstSeq > next {
                // Missed announcements (subscription was down): fetch them from the recent log first.
                let missing = self.fill(topic: topic, after: last, through: announcement.firstSeq - 1)
                out.append(contentsOf: missing)
                next = (missing.last?.seq ?? last) + 1
                if next < announcement.firstSeq {
                    self.logger.warning(
                        "Messages missing from Redis's recent log; subscribers of this node skip them",
                        metadata: ["topic": "\(topic)", "from": "\(next)", "to": "\(announcement.firstSeq - 1)"])
                }
            }
            let fresh = announcement.messages.filter { $0.seq >= next }
            out.append(contentsOf: fresh)
            if let lastFresh = fresh.last { delivered[topic] = lastFresh.seq } else if next - 1 > last { delivered[topic] = next - 1 }
        }
        if !out.isEmpty { node.deliver(out) }
    }

    private func fill(topic: String, after: Int64, through: Int64) -> [StoredMessage] {
        var rows: [StoredMessage] = []
        var cursor = after
        while cursor < through {
            guard let page = try? self.readLog(topic: topic, after: cursor, limit: 1000), let last = page.last else { break }
            let wanted = page.filter { $0.seq <= through }
            rows.append(contentsOf: wanted)
            guard last.seq < through, wanted.count == page.count else { break }
            cursor = last.seq
        }
        return rows
    }

    /// After every (re)subscription: delivers whatever was announced while this node was not listening.
    private func catchUp() {
        guard let node = self.node.withLock({ $0 }) else { return }
        let shards = (0..<ClusterKeys.shardCount).map { self.client.send(["SMEMBERS", RESPArg(self.keys.topicsKey(shard: $0))]) }
        var topics: [String] = []
        for shard in shards {
            guard let members = try? shard.wait().array else { return }
            topics.append(contentsOf: members.compactMap(\.string))
        }
        var caughtUp = 0
        for topic in topics {
            var after = node.deliveredSeq(topic)
            while true {
                guard let page = try? self.readLog(topic: topic, after: after, limit: 1000), let last = page.last else { break }
                node.deliver(page.filter { $0.seq > after })
                caughtUp += page.count
                after = last.seq
            }
        }
        if caughtUp > 0 {
            self.logger.info("Caught up on messages announced while unsubscribed", metadata: ["count": "\(caughtUp)"])
        }
    }
}
