public import NIOCore

/// Durable storage of messages, behind which SQLite (now) and PostgreSQL
/// (later) sit. The hub calls the write methods from its single committer
/// thread only; reads may come from any thread.
public protocol Store: DocumentStore {
    /// Every known topic with its sequence state, read once at start-up.
    func loadTopics() throws -> [StoredTopic]

    /// Commits `batch` in one transaction: all of it or nothing.
    func commit(_ batch: CommitBatch) throws

    /// The seq already stored for each (publisher, key) pair, for idempotent publishing.
    func lookupKeys(_ keys: [PublishKey]) throws -> [PublishKey: (topic: String, seq: Int64)]

    /// Messages of `topic` with `seq > after`, oldest first, at most `limit`.
    func messages(topic: String, after: Int64, limit: Int) throws -> [StoredMessage]

    /// Messages of `topic` with `from <= ts <= to` and `seq > after`, oldest first, at most `limit`.
    func messages(topic: String, fromTs: Int64, toTs: Int64, after: Int64, limit: Int) throws -> [StoredMessage]

    /// The same messages as ``messages(topic:after:limit:)``, written by `encoding` into one buffer.
    func encodedMessages(topic: String, after: Int64, limit: Int, encoding: StoredRowEncoding) throws -> EncodedRows

    /// Deletes messages older than `olderThan` (ms since epoch) and beyond `keepCount` per topic.
    /// Returns the new lowest stored seq of each topic it touched.
    func applyRetention(_ rules: [RetentionRule.Resolved]) throws -> [String: Int64]

    /// Stores a topic's descriptor (`nil` removes it), creating the topic if needed.
    func setDescriptor(topic: String, descriptor: String?) throws

    /// Flushes and closes.
    func close() throws
}

extension Store {
    /// Reads the rows, then encodes them: for stores without a direct path.
    public func encodedMessages(topic: String, after: Int64, limit: Int, encoding: StoredRowEncoding) throws -> EncodedRows {
        EncodedRows(try self.messages(topic: topic, after: after, limit: limit), encoding: encoding)
    }
}

/// What the store knows about a topic at start-up.
public struct StoredTopic: Sendable {
    public var name: String
    /// Highest seq ever assigned: the next message gets `lastSeq + 1`, even after retention emptied the topic.
    public var lastSeq: Int64
    /// Lowest seq still stored (`lastSeq + 1` when none is).
    public var firstSeq: Int64
    public var lastTs: Int64?
    /// The stream descriptor as JSON text.
    public var descriptor: String?

    public init(name: String, lastSeq: Int64, firstSeq: Int64, lastTs: Int64?, descriptor: String?) {
        self.name = name
        self.lastSeq = lastSeq
        self.firstSeq = firstSeq
        self.lastTs = lastTs
        self.descriptor = descriptor
    }
}

/// A message row as stored.
public struct StoredMessage: Sendable {
    public var topic: String
    public var seq: Int64
    public var ts: Int64
    public var from: String?
    public var data: ByteBuffer

    public init(topic: String, seq: Int64, ts: Int64, from: String?, data: ByteBuffer) {
        self.topic = topic
        self.seq = seq
        self.ts = ts
        self.from = from
        self.data = data
    }
}

/// An idempotency key: a publisher's own id for one message.
public struct PublishKey: Hashable, Sendable {
    public var publisher: String
    public var key: String

    public init(publisher: String, key: String) {
        self.publisher = publisher
        self.key = key
    }
}

/// One transaction's worth of writes.
public struct CommitBatch: Sendable {
    public var messages: [StoredMessage] = []
    /// Keys to remember, with the topic and seq they were stored under.
    public var keys: [(key: PublishKey, topic: String, seq: Int64, ts: Int64)] = []
    /// The new highest seq of each topic written.
    public var lastSeqs: [String: Int64] = [:]

    public init() {}
}

/// The control plane's records (sources, commands, known devices): a few JSON
/// documents per collection, written rarely, read once at start-up. Any thread.
public protocol DocumentStore: Sendable {
    /// Every document of `collection`, as `(id, JSON text)`.
    func loadDocuments(collection: String) throws -> [(id: String, body: String)]
    /// Creates or replaces one document.
    func saveDocument(collection: String, id: String, body: String) throws
    /// Removes one document (nothing happens if there is none).
    func deleteDocument(collection: String, id: String) throws
}
