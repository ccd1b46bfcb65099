import Dispatch
import Foundation
public import Logging
import Metrics
public import NIOCore
import Synchronization

/// The heart of Switchboard: sequences, commits and fans out every message.
///
/// Publishing is *commit, then deliver*: a single committer thread takes
/// everything queued, assigns per-topic seqs, commits the batch to the store
/// in one transaction, and only then appends it to the recent window, hands it
/// to subscribers (one task per event loop, one write per subscriber) and
/// answers the publishers. Nothing uncommitted is ever seen, and the cost of a
/// commit is shared by every message in its batch.
public final class Hub: Sendable {
    /// What a publisher learns once its message is committed.
    public struct PublishAck: Sendable {
        public let topic: Topic
        public let seq: Int64
        public let ts: Int64
        /// The (publisher, key) pair was stored before; nothing new was stored.
        public let duplicate: Bool
    }

    public typealias PublishCompletion = @Sendable (Result<PublishAck, HubError>) -> Void

    /// One topic as listed by the API.
    public struct TopicInfo: Sendable {
        public let topic: Topic
        public let lastSeq: Int64
        public let firstSeq: Int64
        public let count: Int64
        public let lastTs: Int64?
        /// Messages per second, smoothed over the last seconds.
        public let rate: Double
        /// The stream descriptor as JSON text.
        public let descriptor: String?
    }

    /// A page of history read for a replay.
    public struct ReplayPage: Sendable {
        /// Read from the in-memory window: messages with their frames ready.
        public var messages: [Message] = []
        /// Read from the store: rows that are never made into `Message`s, since the
        /// replay writes them straight into one buffer (see ``Outlet/encode(_:topic:)``).
        public var stored: [StoredMessage] = []
        /// Read from the store and encoded there, when the outlet gave an encoding.
        public var encoded = EncodedRows()
        /// The lowest seq still stored when the page was read.
        public let firstSeq: Int64
        /// The highest committed seq when the page was read.
        public let lastSeq: Int64

        /// Messages in the page.
        public var count: Int { self.messages.count + self.stored.count + self.encoded.count }
        /// Seq of the page's first message.
        public var firstMessageSeq: Int64? { self.messages.first?.seq ?? self.stored.first?.seq ?? self.encoded.firstSeq }
    }

    public let configuration: Configuration
    let store: any Store
    /// Sequencer and fan-out between nodes; `nil` on a single node.
    let broker: (any ClusterBroker)?
    let logger: Logger
    let topics: TopicTable
    let index = SubscriptionIndex()
    let committer: Committer
    let reads = DispatchQueue(label: "switchboard.hub.reads", attributes: .concurrent)
    let metrics = HubMetrics()
    let mailboxes = Mutex<[ObjectIdentifier: LoopMailbox]>([:])

    /// Opens the hub over `store`, reading every topic's sequence state; with a `broker` it is one node of a cluster.
    public init(store: any Store, broker: (any ClusterBroker)? = nil, configuration: Configuration = .init(), logger: Logger) throws {
        self.store = store
        self.broker = broker
        self.configuration = configuration
        self.logger = logger
        self.topics = TopicTable(topics: try store.loadTopics(), windowSize: configuration.windowSize)
        self.committer = Committer(maxQueued: configuration.maxQueuedPublishes)
    }

    /// Starts the committer thread.
    public func start() {
        self.committer.start { [self] publishes in self.commit(publishes) }
        self.broker?.start(node: self)
    }

    /// Commits everything queued, stops the committer and closes the store.
    public func shutdown() {
        self.committer.stop()
        self.broker?.stop()
        do {
            try self.store.close()
        } catch {
            self.logger.error("Closing the store failed", metadata: ["error.type": "\(error)"])
        }
    }

    /// Milliseconds since the Unix epoch.
    public static func now() -> Int64 { Int64(Date().timeIntervalSince1970 * 1000) }

    // MARK: - Publishing

    /// Queues a message for commit; `completion` runs on the committer thread after it is committed (or failed).
    ///
    /// - Parameters:
    ///   - data: valid JSON (the caller validated it), at most `maxMessageBytes`.
    ///   - from: the publisher's id, when known.
    ///   - key: an idempotency key: a (from, key) pair already stored is answered with its seq and not stored again.
    public func publish(
        topic: Topic, data: ByteBuffer, from: String?, key: String?,
        completion: @escaping PublishCompletion
    ) {
        guard data.readableBytes <= self.configuration.maxMessageBytes else {
            completion(.failure(.tooLarge("data is \(data.readableBytes) bytes, the limit is \(self.configuration.maxMessageBytes)")))
            return
        }
        let job = Committer.Publish(topic: topic, data: data, from: from, key: key, ts: Hub.now(), completion: completion)
        if !self.committer.enqueue(job) {
            self.metrics.rejected(reason: "queue_full")
            completion(.failure(.unavailable("the hub's commit queue is full; retry shortly")))
        }
    }

    /// Publishes and waits until the message is committed.
    public func publish(topic: Topic, data: ByteBuffer, from: String? = nil, key: String? = nil) async throws(HubError) -> PublishAck {
        let result: Result<PublishAck, HubError> = await withCheckedContinuation { continuation in
            self.publish(topic: topic, data: data, from: from, key: key) { continuation.resume(returning: $0) }
        }
        return try result.get()
    }

    // MARK: - Subscribing

    /// Subscribes `subscriber` to `pattern`: from now on every committed message matching it is delivered.
    public func addSubscription(_ subscriber: any Subscriber, pattern: TopicPattern, policy: DeliveryPolicy) {
        self.index.add(subscriber, pattern: pattern, policy: policy)
    }

    /// Removes one subscription; returns whether it existed.
    @discardableResult
    public func removeSubscription(_ subscriber: any Subscriber, pattern: TopicPattern) -> Bool {
        self.index.remove(subscriber, pattern: pattern)
    }

    /// Removes every subscription of `subscriber` (it disconnected).
    public func removeSubscriber(_ subscriber: any Subscriber) {
        self.index.removeAll(subscriber)
    }

    /// Whether any subscription matches `topic` now.
    public func hasSubscribers(_ topic: Topic) -> Bool {
        !self.index.targets(for: topic).isEmpty
    }

    /// How many patterns `subscriber` is subscribed to.
    public func subscriptionCount(of subscriber: any Subscriber) -> Int {
        self.index.count(of: subscriber)
    }

    /// The topics that match `pattern` now, with their last seq.
    public func topics(matching pattern: TopicPattern) -> [(topic: Topic, lastSeq: Int64)] {
        self.topics.matching(pattern).map { (topic: $0.0, lastSeq: $0.1) }
    }

    /// Reads the next messages of `topic` after `after`, from the window when
    /// it holds them (answered at once) or else from the store (off the event loop).
    /// With an `encoding`, store rows come back already encoded (``ReplayPage/encoded``).
    public func replayPage(
        topic: Topic, after: Int64, limit: Int, encoding: StoredRowEncoding? = nil, on eventLoop: any EventLoop
    ) -> EventLoopFuture<ReplayPage> {
        if let window = self.topics.windowMessages(topic.name, after: after, limit: limit) {
            self.metrics.replayedFromWindow(window.messages.count)
            return eventLoop.makeSucceededFuture(ReplayPage(messages: window.messages, firstSeq: window.firstSeq, lastSeq: window.lastSeq))
        }
        let promise = eventLoop.makePromise(of: ReplayPage.self)
        self.reads.async {
            promise.completeWith(Result { try self.readPage(topic: topic, after: after, limit: limit, encoding: encoding) })
        }
        return promise.futureResult
    }

    func readPage(topic: Topic, after: Int64, limit: Int, encoding: StoredRowEncoding?) throws -> ReplayPage {
        // Seq bounds first: everything up to lastSeq is committed, so the store read sees it.
        let lastSeq = self.topics.lastSeq(topic.name)
        let firstSeq = self.topics.firstSeq(topic.name)
        var page = ReplayPage(firstSeq: firstSeq, lastSeq: lastSeq)
        // In a cluster the broker's recent log comes before the store: it also holds what
        // another node announced a moment ago and has not committed yet.
        if let recent = self.broker?.recent(topic: topic.name, after: after, limit: limit) {
            if let encoding { page.encoded = EncodedRows(recent, encoding: encoding) } else { page.stored = recent }
        } else if let encoding {
            page.encoded = try self.store.encodedMessages(topic: topic.name, after: after, limit: limit, encoding: encoding)
        } else {
            page.stored = try self.store.messages(topic: topic.name, after: after, limit: limit)
        }
        self.metrics.replayedFromStore(page.stored.count + page.encoded.count)
        return page
    }

    private static func messages(_ rows: [StoredMessage], of topic: Topic) -> [Message] {
        let encoder = EnvelopeEncoder(topic: topic)
        return rows.map { Message(topic: topic, seq: $0.seq, ts: $0.ts, from: $0.from, data: $0.data, encoder: encoder) }
    }

    // MARK: - Reading

    /// Every topic, sorted by name.
    public func listTopics() -> [TopicInfo] {
        self.topics.snapshots(now: Hub.now()).map(TopicInfo.init)
    }

    /// One topic, or `nil` if it never had a message or descriptor.
    public func topicInfo(_ topic: Topic) -> TopicInfo? {
        self.topics.snapshot(topic.name, now: Hub.now()).map(TopicInfo.init)
    }

    /// History of `topic` after `after`, oldest first (blocking: call off the event loop).
    public func history(topic: Topic, after: Int64, limit: Int) throws -> [Message] {
        if let window = self.topics.windowMessages(topic.name, after: after, limit: limit) {
            return window.messages
        }
        if let recent = self.broker?.recent(topic: topic.name, after: after, limit: limit) {
            return Self.messages(recent, of: topic)
        }
        return Self.messages(try self.store.messages(topic: topic.name, after: after, limit: limit), of: topic)
    }

    /// History of `topic` between two times (inclusive) and after `after`, oldest first (blocking).
    public func history(topic: Topic, fromTs: Int64, toTs: Int64, after: Int64, limit: Int) throws -> [Message] {
        Self.messages(try self.store.messages(topic: topic.name, fromTs: fromTs, toTs: toTs, after: after, limit: limit), of: topic)
    }

    /// The descriptor of `topic` as JSON text, if it has one.
    public func descriptor(of topic: Topic) -> String? {
        self.topics.snapshot(topic.name, now: 0)?.descriptor
    }

    /// Stores the descriptor of `topic` (`nil` removes it).
    public func setDescriptor(_ descriptor: String?, for topic: Topic) throws {
        try self.store.setDescriptor(topic: topic.name, descriptor: descriptor)
        self.topics.setDescriptor(topic, descriptor)
    }

    // MARK: - Retention

    /// Deletes what the retention rules no longer keep (blocking: call off the event loop).
    ///
    /// The store deletes in small transactions, so commits go on in between.
    public func applyRetention() throws {
        let now = Hub.now()
        let resolved = self.topics.snapshots(now: now).compactMap { topic -> RetentionRule.Resolved? in
            let rule = self.configuration.retention.first { $0.pattern.matches(topic.topic) }
            let maxAge = rule.map { $0.maxAgeMs } ?? self.configuration.retainAgeMs
            let maxCount = rule.map { $0.maxCount } ?? self.configuration.retainCount
            let minTs = maxAge.map { now - $0 }
            let maxDeleted = maxCount.flatMap { topic.lastSeq - $0 >= topic.firstSeq ? topic.lastSeq - $0 : nil }
            guard minTs != nil || maxDeleted != nil else { return nil }
            return RetentionRule.Resolved(topic: topic.topic.name, minTs: minTs, maxDeletedSeq: maxDeleted)
        }
        let firstSeqs = try self.store.applyRetention(resolved)
        self.topics.setFirstSeqs(firstSeqs)
    }
}

extension Hub.TopicInfo {
    init(_ snapshot: TopicTable.Snapshot) {
        self.init(
            topic: snapshot.topic, lastSeq: snapshot.lastSeq, firstSeq: snapshot.firstSeq, count: snapshot.count,
            lastTs: snapshot.lastTs, rate: snapshot.rate, descriptor: snapshot.descriptor)
    }
}
