public import Logging
import PostgresNIO
public import SwitchboardCore

/// The store on a PostgreSQL server, for hubs that outgrow one machine's SQLite file
/// (and, later, for several hubs sharing one database).
///
/// Same semantics as `SQLiteStore`: a commit is one transaction, a topic's `lastSeq`
/// survives retention, idempotency keys live as long as the oldest messages kept by age.
/// The methods block the calling thread until the server answers (see ``BlockingConnections``):
/// call them from plain threads or dispatch queues, as the hub does, and never from an event
/// loop. (From a Swift task they work, but hold one of the few cooperative threads meanwhile.)
public final class PostgresStore: Store {
    let connections: BlockingConnections
    let logger: Logger
    /// Rows deleted per retention statement, so commits are never held up for long.
    static let retentionChunk: Int64 = 5000

    /// Connects to the database at `url` (`postgres://user[:password]@host[:port]/database`) and
    /// migrates it to this build's schema. Throws ``PostgresStoreError`` for a bad URL, a server
    /// that does not answer (naming host:port) or one that refuses the login. A statement the server
    /// leaves unanswered for `answerTimeout` fails as `.unreachable` and its connection is dropped.
    public init(url: String, answerTimeout: Duration = .seconds(60), logger: Logger) throws {
        let location = try PostgresURL(url)
        self.logger = logger
        self.connections = try BlockingConnections(
            location: location, answerTimeout: TimeAmount(answerTimeout), logger: logger)
        do {
            try SchemaMigrations.apply(self.connections)
        } catch {
            try? self.connections.close()
            throw error
        }
    }

    /// Whether `string` names a PostgreSQL database (`postgres://…` or `postgresql://…`) rather than a directory.
    public static func isPostgresURL(_ string: String) -> Bool {
        PostgresURL.isPostgresURL(string)
    }

    public func close() throws {
        try self.connections.close()
    }

    // MARK: - Topics

    public func loadTopics() throws -> [StoredTopic] {
        try self.connections.read("loading topics") { connection in
            // min/max/last come from the messages' primary key, one index probe each.
            let rows = try self.connections.run(
                """
                SELECT t.name, t.last_seq, t.descriptor, b.first_seq, b.last_seq, l.ts
                FROM topics t
                LEFT JOIN LATERAL (SELECT min(seq) AS first_seq, max(seq) AS last_seq FROM messages m WHERE m.topic = t.name) b ON true
                LEFT JOIN LATERAL (SELECT ts FROM messages m WHERE m.topic = t.name ORDER BY seq DESC LIMIT 1) l ON true
                ORDER BY t.name
                """, on: connection)
            return try rows.map { row in
                let (name, recordedLast, descriptor, firstStored, lastStored, lastTs) =
                    try row.decode((String, Int64, String?, Int64?, Int64?, Int64?).self)
                let lastSeq = max(recordedLast, lastStored ?? 0)
                return StoredTopic(
                    name: name, lastSeq: lastSeq, firstSeq: firstStored ?? (lastSeq + 1), lastTs: lastTs, descriptor: descriptor)
            }
        }
    }

    public func setDescriptor(topic: String, descriptor: String?) throws {
        try self.connections.write("setting the descriptor of \(topic)") { connection in
            try self.connections.run(
                """
                INSERT INTO topics (name, last_seq, descriptor) VALUES (\(topic), 0, \(descriptor))
                ON CONFLICT (name) DO UPDATE SET descriptor = excluded.descriptor
                """, on: connection)
        }
    }

    public func lookupKeys(_ keys: [PublishKey]) throws -> [PublishKey: (topic: String, seq: Int64)] {
        guard !keys.isEmpty else { return [:] }
        return try self.connections.read("looking up idempotency keys") { connection in
            let rows = try self.connections.run(
                """
                SELECT k.publisher, k.key, k.topic, k.seq
                FROM publish_keys k JOIN unnest(\(keys.map(\.publisher))::text[], \(keys.map(\.key))::text[]) AS q(publisher, key)
                  ON k.publisher = q.publisher AND k.key = q.key
                """, on: connection)
            var found: [PublishKey: (topic: String, seq: Int64)] = [:]
            for row in rows {
                let (publisher, key, topic, seq) = try row.decode((String, String, String, Int64).self)
                found[PublishKey(publisher: publisher, key: key)] = (topic, seq)
            }
            return found
        }
    }

    // MARK: - Reading

    public func messages(topic: String, after: Int64, limit: Int) throws -> [StoredMessage] {
        try self.connections.read("reading \(topic)") { connection in
            let rows = try self.connections.run(
                """
                SELECT seq, ts, "from", data FROM messages WHERE topic = \(topic) AND seq > \(after) ORDER BY seq LIMIT \(Self.rowLimit(limit))
                """, on: connection)
            return try MessagePage.read(rows, topic: topic)
        }
    }

    public func messages(topic: String, fromTs: Int64, toTs: Int64, after: Int64, limit: Int) throws -> [StoredMessage] {
        try self.connections.read("reading \(topic) by time") { connection in
            let rows = try self.connections.run(
                """
                SELECT seq, ts, "from", data FROM messages
                WHERE topic = \(topic) AND ts >= \(fromTs) AND ts <= \(toTs) AND seq > \(after) ORDER BY seq LIMIT \(Self.rowLimit(limit))
                """, on: connection)
            return try MessagePage.read(rows, topic: topic)
        }
    }

    /// `LIMIT` for `limit`: a negative one means none, as in SQLite (PostgreSQL would refuse it).
    private static func rowLimit(_ limit: Int) -> Int64? {
        limit < 0 ? nil : Int64(limit)
    }
}
