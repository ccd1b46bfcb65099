import Dispatch
public import GRDB
import GRDBSQLite
public import Logging
public import NIOCore
public import SwitchboardCore
import Synchronization

/// The embedded store: one SQLite file in WAL mode.
///
/// Commits are group commits made by the hub (many messages per transaction);
/// `synchronous=NORMAL` means a commit is a write to the WAL without an fsync,
/// so it survives a crash of the process (`kill -9`), and an fsync happens at
/// checkpoints. Set `durability` to `.full` to fsync every commit.
public final class SQLiteStore: Store {
    /// How hard a commit works to survive a power loss.
    public enum Durability: String, Sendable {
        /// No fsync per commit: survives a crash of the hub, not always a power loss. Default.
        case normal
        /// fsync per commit: survives a power loss.
        case full
    }

    let pool: DatabasePool
    let logger: Logger
    /// The database file.
    public let path: String
    /// A connection of its own for WAL checkpoints, so they never run inside a commit.
    private let checkpointer: DatabaseQueue
    /// Set once; `cancel()` is thread-safe.
    nonisolated(unsafe) private let checkpointTimer: any DispatchSourceTimer
    /// Topic name → row id; topics are never renamed, and removed only with the file.
    private let topicIDs = Mutex<[String: Int64]>([:])
    /// How often the WAL is checkpointed into the database file. Often, so that what is left for
    /// the committer when the WAL starts over stays small (500 ms put fan-in p99 at 160–320 ms).
    static let checkpointInterval = DispatchTimeInterval.milliseconds(100)
    /// Pages in the WAL, as the last background checkpoint found it; read by the committer.
    private let walFrames = WALFrames()
    /// A WAL this long is started over (see ``restartLongWAL()``): 16 MiB of 4 KiB pages by default.
    let walRestartFrames: Int32
    /// The WAL is truncated to this when it starts over (it keeps its size otherwise, to be reused).
    static let walSizeLimit = 64 << 20
    /// Page cache per connection, in KiB.
    static let cacheKiB = 32 * 1024
    /// How much of the database file reads may map (address space, not memory: pages stay the kernel's).
    static let mmapBytes = 1 << 30
    /// Rows deleted per retention transaction, so commits are never held up for long.
    static let retentionChunk: Int64 = 5000

    /// Opens (creating if needed) `switchboard.sqlite` in `directory`.
    public convenience init(directory: String, durability: Durability = .normal, logger: Logger) throws {
        try self.init(directory: directory, durability: durability, walRestartFrames: 4096, logger: logger)
    }

    init(directory: String, durability: Durability, walRestartFrames: Int32, logger: Logger) throws {
        self.walRestartFrames = walRestartFrames
        var configuration = Configuration()
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = \(durability == .full ? "FULL" : "NORMAL")")
            // SQLite would otherwise checkpoint inside whichever COMMIT crosses 1000 WAL pages,
            // stalling that commit (and every publisher waiting on it) for the checkpoint's I/O.
            try db.execute(sql: "PRAGMA wal_autocheckpoint = 0")
            try db.execute(sql: "PRAGMA journal_size_limit = \(Self.walSizeLimit)")
            // Each topic written in a batch dirties its own leaf pages (table and ts index);
            // SQLite's default 2 MiB cache would evict and re-read them between batches
            // once a few hundred topics are live. Grows only as pages are used.
            try db.execute(sql: "PRAGMA cache_size = -\(Self.cacheKiB)")
            // Reads (replays, history) map the file instead of copying every page out of the kernel.
            try db.execute(sql: "PRAGMA mmap_size = \(Self.mmapBytes)")
        }
        configuration.label = "switchboard"
        let path = directory + "/switchboard.sqlite"
        self.path = path
        self.logger = logger
        var checkpointConfiguration = Configuration()
        checkpointConfiguration.label = "switchboard.checkpoint"
        checkpointConfiguration.busyMode = .timeout(5)
        do {
            self.pool = try DatabasePool(path: path, configuration: configuration)
            try Self.migrator.migrate(self.pool)
            // SQLite opens a file it may not write read-only and says so only at the first write
            // (the first publish): refuse to start instead.
            if try self.pool.write({ db in sqlite3_db_readonly(db.sqliteConnection, "main") == 1 }) {
                throw DatabaseError(resultCode: .SQLITE_READONLY, message: "the database was opened read-only")
            }
            self.checkpointer = try DatabaseQueue(path: path, configuration: checkpointConfiguration)
        } catch {
            // Said so a person can act on it: which file, and what is wrong with it (not a database, read-only, disk full).
            throw StoreError(error, path: path, opening: true)
        }
        // PASSIVE checkpoints copy what no reader still needs, without taking the write lock.
        let timer = DispatchSource.makeTimerSource(queue: DispatchQueue(label: "switchboard.checkpoint", qos: .utility))
        timer.schedule(deadline: .now() + Self.checkpointInterval, repeating: Self.checkpointInterval)
        let failures = CheckpointFailures()
        let checkpointer = self.checkpointer, walFrames = self.walFrames
        timer.setEventHandler {
            do {
                try Self.checkpointInBackground(checkpointer, noting: walFrames)
                if failures.lastLogged != nil {
                    failures.lastLogged = nil
                    logger.notice("WAL checkpoints work again")
                }
            } catch {
                // Ten times a second while the disk is full would flood the log: the first failure, then one a minute.
                let now = ContinuousClock.now
                if failures.lastLogged.map({ now - $0 >= .seconds(60) }) ?? true {
                    failures.lastLogged = now
                    logger.warning("WAL checkpoint failed", metadata: ["error.type": "\(error)"])
                }
            }
        }
        timer.resume()
        self.checkpointTimer = timer
    }

    /// Copies the WAL into the database file as far as no reader needs it (PASSIVE: never waits
    /// for the committer), and notes how long the WAL has grown.
    private static func checkpointInBackground(_ checkpointer: DatabaseQueue, noting walFrames: WALFrames) throws {
        try checkpointer.writeWithoutTransaction { db in
            walFrames.count.store(try Self.checkpoint(db), ordering: .relaxed)
        }
    }

    /// What the timer does every ``checkpointInterval`` (for tests, which cannot wait on it).
    func checkpointInBackground() throws {
        try Self.checkpointInBackground(self.checkpointer, noting: self.walFrames)
    }

    private final class WALFrames: Sendable {
        let count = Atomic<Int32>(0)
    }

    /// A WAL only starts over from its beginning when a commit finds every page of it copied,
    /// which under a steady stream of commits never happens by itself: each background checkpoint
    /// ends behind the commits made meanwhile, and the WAL grew without bound (hundreds of MB in
    /// seconds of fan-in, with every commit writing to new pages of the file). So once it is long,
    /// the committer itself copies the little the background left, between two commits; the next
    /// commit then starts the WAL over. Best effort: a reader still in the WAL defers it.
    private func restartLongWAL() {
        guard self.walFrames.count.load(ordering: .relaxed) >= self.walRestartFrames else { return }
        self.walFrames.count.store(0, ordering: .relaxed)
        do {
            try self.pool.writeWithoutTransaction { db in _ = try Self.checkpoint(db) }
        } catch {
            self.logger.warning("WAL checkpoint by the committer failed", metadata: ["error.type": "\(error)"])
        }
    }

    /// A PASSIVE checkpoint on `db`; returns the pages in the WAL.
    private static func checkpoint(_ db: Database) throws -> Int32 {
        var frames: Int32 = 0
        var copied: Int32 = 0
        let code = sqlite3_wal_checkpoint_v2(db.sqliteConnection, nil, SQLITE_CHECKPOINT_PASSIVE, &frames, &copied)
        // BUSY: another checkpoint is under way, which does the same work.
        guard code == SQLITE_OK || code == SQLITE_BUSY else {
            throw DatabaseError(resultCode: ResultCode(rawValue: code), message: db.lastErrorMessage, sql: "PRAGMA wal_checkpoint(PASSIVE)")
        }
        return frames
    }

    /// Touched only on the checkpoint timer's serial queue.
    private final class CheckpointFailures: @unchecked Sendable {
        var lastLogged: ContinuousClock.Instant?
    }

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.execute(
                sql: """
                    CREATE TABLE topics (
                        id INTEGER PRIMARY KEY,
                        name TEXT NOT NULL UNIQUE,
                        last_seq INTEGER NOT NULL DEFAULT 0,
                        descriptor TEXT
                    );
                    CREATE TABLE messages (
                        topic_id INTEGER NOT NULL,
                        seq INTEGER NOT NULL,
                        ts INTEGER NOT NULL,
                        sender TEXT,
                        data TEXT NOT NULL,
                        PRIMARY KEY (topic_id, seq)
                    ) WITHOUT ROWID;
                    CREATE INDEX messages_by_ts ON messages (topic_id, ts);
                    CREATE TABLE publish_keys (
                        publisher TEXT NOT NULL,
                        key TEXT NOT NULL,
                        topic_id INTEGER NOT NULL,
                        seq INTEGER NOT NULL,
                        ts INTEGER NOT NULL,
                        PRIMARY KEY (publisher, key)
                    ) WITHOUT ROWID;
                    CREATE INDEX publish_keys_by_ts ON publish_keys (ts);
                    """)
        }
        migrator.registerMigration("v2-documents") { db in
            try db.execute(
                sql: """
                    CREATE TABLE documents (
                        collection TEXT NOT NULL,
                        id TEXT NOT NULL,
                        body TEXT NOT NULL,
                        PRIMARY KEY (collection, id)
                    ) WITHOUT ROWID;
                    """)
        }
        // Messages become an append-only log in commit order (a rowid table) with one narrow index,
        // (topic, seq). Clustered by (topic, seq) and indexed by (topic, ts), a batch spread over many
        // topics wrote two 4 KiB pages per message; in the log its rows fill pages one after another.
        // Time ranges need no index of their own: ts never decreases within a topic (the hub sees to
        // it), so they are found by binary search over seqs.
        migrator.registerMigration("v3-message-log") { db in
            try db.execute(
                sql: """
                    CREATE TABLE message_log (
                        id INTEGER PRIMARY KEY,
                        topic_id INTEGER NOT NULL,
                        seq INTEGER NOT NULL,
                        ts INTEGER NOT NULL,
                        sender TEXT,
                        data TEXT NOT NULL
                    );
                    INSERT INTO message_log (topic_id, seq, ts, sender, data)
                        SELECT topic_id, seq, ts, sender, data FROM messages ORDER BY topic_id, seq;
                    DROP TABLE messages;
                    ALTER TABLE message_log RENAME TO messages;
                    CREATE UNIQUE INDEX messages_by_seq ON messages (topic_id, seq);
                    """)
        }
        return migrator
    }

    // MARK: - Topics

    public func loadTopics() throws -> [StoredTopic] {
        try self.pool.read { db in
            var topics: [StoredTopic] = []
            var ids: [String: Int64] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT id, name, last_seq, descriptor FROM topics") {
                let id: Int64 = row["id"]
                let name: String = row["name"]
                ids[name] = id
                let bounds = try Row.fetchOne(
                    db, sql: "SELECT MIN(seq) AS first, MAX(seq) AS last FROM messages WHERE topic_id = ?", arguments: [id])
                let lastStored: Int64? = bounds?["last"]
                let lastSeq = max(row["last_seq"] as Int64, lastStored ?? 0)
                let lastTs = try Int64.fetchOne(
                    db, sql: "SELECT ts FROM messages WHERE topic_id = ? ORDER BY seq DESC LIMIT 1", arguments: [id])
                topics.append(
                    StoredTopic(
                        name: name, lastSeq: lastSeq, firstSeq: bounds?["first"] ?? (lastSeq + 1), lastTs: lastTs,
                        descriptor: row["descriptor"]))
            }
            self.topicIDs.withLock { $0 = ids }
            return topics
        }
    }

    private func cachedID(_ topic: String) -> Int64? {
        self.topicIDs.withLock { $0[topic] }
    }

    private func topicID(_ topic: String, in db: Database) throws -> Int64? {
        if let id = self.cachedID(topic) { return id }
        guard let id = try Int64.fetchOne(db, sql: "SELECT id FROM topics WHERE name = ?", arguments: [topic]) else { return nil }
        self.topicIDs.withLock { $0[topic] = id }
        return id
    }

    private func createTopic(_ topic: String, in db: Database) throws -> Int64 {
        if let id = try self.topicID(topic, in: db) { return id }
        try db.execute(sql: "INSERT INTO topics (name, last_seq) VALUES (?, 0)", arguments: [topic])
        let id = db.lastInsertedRowID
        // Cached only once the transaction commits: a rolled-back insert must not leave a stale id.
        return id
    }

    // MARK: - Writing

    /// Writes `batch` in one transaction; on failure nothing of it is stored (a full disk throws ``StoreError`` `.diskFull`).
    public func commit(_ batch: CommitBatch) throws {
        var created: [String: Int64] = [:]
        do {
            try self.write(batch, created: &created)
        } catch {
            throw StoreError(error, path: self.path, opening: false)
        }
        if !created.isEmpty {
            self.topicIDs.withLock { $0.merge(created) { _, new in new } }
        }
        self.restartLongWAL()
    }

    private func write(_ batch: CommitBatch, created: inout [String: Int64]) throws {
        try self.pool.write { db in
            created = [:]
            var ids: [String: Int64] = [:]
            // `topics.last_seq` is not written here: the highest stored seq says it, and retention
            // records it before deleting. Keeping it current cost a page per topic per batch.
            for topic in batch.lastSeqs.keys {
                let id: Int64
                if let known = try self.topicID(topic, in: db) {
                    id = known
                } else {
                    id = try self.createTopic(topic, in: db)
                    created[topic] = id
                }
                ids[topic] = id
            }
            let insert = try db.cachedStatement(sql: "INSERT INTO messages (topic_id, seq, ts, sender, data) VALUES (?, ?, ?, ?, ?)")
            for message in batch.messages {
                try MessageRows.insert(message, topicID: ids[message.topic]!, with: insert, in: db)
            }
            if !batch.keys.isEmpty {
                let insertKey = try db.cachedStatement(
                    sql: "INSERT OR IGNORE INTO publish_keys (publisher, key, topic_id, seq, ts) VALUES (?, ?, ?, ?, ?)")
                for entry in batch.keys {
                    try insertKey.execute(arguments: [entry.key.publisher, entry.key.key, ids[entry.topic]!, entry.seq, entry.ts])
                }
            }
        }
    }

    public func lookupKeys(_ keys: [PublishKey]) throws -> [PublishKey: (topic: String, seq: Int64)] {
        try self.pool.read { db in
            var found: [PublishKey: (topic: String, seq: Int64)] = [:]
            let select = try db.cachedStatement(
                sql: """
                    SELECT t.name, k.seq FROM publish_keys k JOIN topics t ON t.id = k.topic_id
                    WHERE k.publisher = ? AND k.key = ?
                    """)
            for key in keys {
                if let row = try Row.fetchOne(select, arguments: [key.publisher, key.key]) {
                    found[key] = (row[0], row[1])
                }
            }
            return found
        }
    }

    public func setDescriptor(topic: String, descriptor: String?) throws {
        var createdID: Int64?
        try self.pool.write { db in
            createdID = nil
            let id: Int64
            if let known = try self.topicID(topic, in: db) {
                id = known
            } else {
                id = try self.createTopic(topic, in: db)
                createdID = id
            }
            try db.execute(sql: "UPDATE topics SET descriptor = ? WHERE id = ?", arguments: [descriptor, id])
        }
        if let createdID { self.topicIDs.withLock { $0[topic] = createdID } }
    }

    // MARK: - Reading

    public func messages(topic: String, after: Int64, limit: Int) throws -> [StoredMessage] {
        try self.page(topic: topic, after: after, limit: limit, empty: []) { statement, _, db in
            try MessageRows.read(statement, topic: topic, in: db)
        }
    }

    public func encodedMessages(topic: String, after: Int64, limit: Int, encoding: StoredRowEncoding) throws -> EncodedRows {
        try self.page(topic: topic, after: after, limit: limit, empty: EncodedRows()) { statement, expected, db in
            try MessageRows.encode(statement, encoding: encoding, expected: expected, in: db)
        }
    }

    /// Reads the messages of `topic` after `after` with `read`, which is told how many rows to expect
    /// (0: unknown) and says whether the seqs it saw ascend.
    private func page<Page>(
        topic: String, after: Int64, limit: Int, empty: Page,
        read: (Statement, Int, Database) throws -> (rows: Page, ascending: Bool)
    ) throws -> Page {
        try self.pool.read { db in
            guard let id = try self.topicID(topic, in: db) else { return empty }
            if let dense = try Self.denseRun(topicID: id, after: after, limit: limit, in: db) {
                // The topic's rows lie close together in the log: read the log in order instead of
                // seeking each row through the index (a replay of one busy topic, typically).
                let scan = try db.cachedStatement(
                    sql: "SELECT seq, ts, sender, data FROM messages WHERE id >= ? AND id <= ? AND +topic_id = ? AND +seq > ? ORDER BY id LIMIT ?")
                try scan.setArguments([dense.lowerBound, dense.upperBound, id, after, limit])
                // Log order is seq order within a topic (one committer, in seq order); checked all the same.
                let (rows, ascending) = try read(scan, min(limit, dense.count), db)
                if ascending { return rows }
            }
            let select = try db.cachedStatement(sql: "SELECT seq, ts, sender, data FROM messages WHERE topic_id = ? AND seq > ? ORDER BY seq LIMIT ?")
            try select.setArguments([id, after, limit])
            return try read(select, 0, db).rows
        }
    }

    /// The log ids from the first message after `after` to the `limit`-th, when few other rows lie between them.
    private static func denseRun(topicID: Int64, after: Int64, limit: Int, in db: Database) throws -> ClosedRange<Int64>? {
        guard limit >= 64 else { return nil }
        let idOfSeq = try db.cachedStatement(sql: "SELECT id, seq FROM messages WHERE topic_id = ? AND seq > ? ORDER BY seq LIMIT 1")
        guard let first = try Row.fetchOne(idOfSeq, arguments: [topicID, after]) else { return nil }
        let firstID: Int64 = first[0]
        let firstSeq: Int64 = first[1]
        let lastIDOfSeq = try db.cachedStatement(sql: "SELECT id FROM messages WHERE topic_id = ? AND seq <= ? ORDER BY seq DESC LIMIT 1")
        guard let lastID = try Int64.fetchOne(lastIDOfSeq, arguments: [topicID, firstSeq + Int64(limit) - 1]) else { return nil }
        guard lastID >= firstID, lastID - firstID < Int64(limit) * 2 else { return nil }
        return firstID...lastID
    }

    public func messages(topic: String, fromTs: Int64, toTs: Int64, after: Int64, limit: Int) throws -> [StoredMessage] {
        try self.pool.read { db in
            guard let id = try self.topicID(topic, in: db) else { return [] }
            guard fromTs <= toTs, let bounds = try Self.seqBounds(topicID: id, in: db) else { return [] }
            let first = max(after + 1, try Self.firstSeq(topicID: id, tsAtLeast: fromTs, within: bounds, in: db))
            let last = toTs == .max ? bounds.upperBound : try Self.firstSeq(topicID: id, tsAtLeast: toTs + 1, within: bounds, in: db) - 1
            guard first <= last else { return [] }
            // The ts test still filters: a database from before ts was kept non-decreasing may hold a step back.
            let select = try db.cachedStatement(
                sql: """
                    SELECT seq, ts, sender, data FROM messages
                    WHERE topic_id = ? AND seq >= ? AND seq <= ? AND ts >= ? AND ts <= ? ORDER BY seq LIMIT ?
                    """)
            try select.setArguments([id, first, last, fromTs, toTs, limit])
            return try MessageRows.read(select, topic: topic, in: db).rows
        }
    }

    /// The lowest and highest stored seq of a topic, or nil when it holds no messages.
    private static func seqBounds(topicID: Int64, in db: Database) throws -> ClosedRange<Int64>? {
        let row = try Row.fetchOne(db.cachedStatement(sql: "SELECT MIN(seq), MAX(seq) FROM messages WHERE topic_id = ?"), arguments: [topicID])
        guard let row, let low = row[0] as Int64?, let high = row[1] as Int64? else { return nil }
        return low...high
    }

    /// The first seq in `bounds` whose message has `ts >= tsAtLeast` (`bounds.upperBound + 1` when none):
    /// a binary search of point reads on the (topic, seq) index, as ts never decreases with seq.
    private static func firstSeq(topicID: Int64, tsAtLeast: Int64, within bounds: ClosedRange<Int64>, in db: Database) throws -> Int64 {
        let tsAt = try db.cachedStatement(sql: "SELECT seq, ts FROM messages WHERE topic_id = ? AND seq >= ? ORDER BY seq LIMIT 1")
        var low = bounds.lowerBound
        var high = bounds.upperBound + 1
        while low < high {
            let middle = low + (high - low) / 2
            // Seqs are gap-free between the bounds, but read the next one present to be safe.
            guard let row = try Row.fetchOne(tsAt, arguments: [topicID, middle]) else {
                high = middle
                continue
            }
            let seq: Int64 = row[0]
            let ts: Int64 = row[1]
            if ts >= tsAtLeast { high = middle } else { low = seq + 1 }
        }
        return low
    }

    // MARK: - Retention

    public func applyRetention(_ rules: [RetentionRule.Resolved]) throws -> [String: Int64] {
        var firstSeqs: [String: Int64] = [:]
        var oldestKept: Int64? = nil
        for rule in rules {
            guard let id = try self.pool.read({ db in try self.topicID(rule.topic, in: db) }) else { continue }
            var deleted = 0
            // Small transactions: the committer's writes interleave with these deletes.
            while true {
                let changes = try self.pool.write { db -> Int in
                    guard let first = try Int64.fetchOne(db, sql: "SELECT MIN(seq) FROM messages WHERE topic_id = ?", arguments: [id])
                    else { return 0 }
                    var upTo = first + Self.retentionChunk - 1
                    if let maxDeleted = rule.maxDeletedSeq, let minTs = rule.minTs {
                        let byAge = try Int64.fetchOne(
                            db, sql: "SELECT MAX(seq) FROM messages WHERE topic_id = ? AND seq <= ? AND ts < ?",
                            arguments: [id, upTo, minTs])
                        upTo = min(upTo, max(maxDeleted, byAge ?? 0))
                    } else if let maxDeleted = rule.maxDeletedSeq {
                        upTo = min(upTo, maxDeleted)
                    } else if let minTs = rule.minTs {
                        let byAge = try Int64.fetchOne(
                            db, sql: "SELECT MAX(seq) FROM messages WHERE topic_id = ? AND seq <= ? AND ts < ?",
                            arguments: [id, upTo, minTs])
                        upTo = byAge ?? 0
                    }
                    guard upTo >= first else { return 0 }
                    // The last seq must outlive the messages: a topic emptied by retention goes on from it.
                    try db.execute(
                        sql: "UPDATE topics SET last_seq = MAX(last_seq, (SELECT MAX(seq) FROM messages WHERE topic_id = ?)) WHERE id = ?",
                        arguments: [id, id])
                    try db.execute(sql: "DELETE FROM messages WHERE topic_id = ? AND seq <= ?", arguments: [id, upTo])
                    return db.changesCount
                }
                deleted += changes
                if changes == 0 { break }
            }
            if let minTs = rule.minTs { oldestKept = min(oldestKept ?? minTs, minTs) }
            if deleted > 0 {
                self.logger.debug("Retention deleted messages", metadata: ["topic": "\(rule.topic)", "count": "\(deleted)"])
            }
            let first = try self.pool.read { db in
                try Int64.fetchOne(db, sql: "SELECT MIN(seq) FROM messages WHERE topic_id = ?", arguments: [id])
            }
            let last = try self.pool.read { db in
                try Int64.fetchOne(
                    db, sql: "SELECT MAX(last_seq, COALESCE((SELECT MAX(seq) FROM messages WHERE topic_id = ?), 0)) FROM topics WHERE id = ?",
                    arguments: [id, id])
            }
            firstSeqs[rule.topic] = first ?? ((last ?? 0) + 1)
        }
        if let oldestKept {
            // Idempotency keys live as long as the oldest messages kept by age.
            try self.pool.write { db in
                try db.execute(sql: "DELETE FROM publish_keys WHERE ts < ?", arguments: [oldestKept])
            }
        }
        return firstSeqs
    }

    // MARK: - Documents

    public func loadDocuments(collection: String) throws -> [(id: String, body: String)] {
        try self.pool.read { db in
            try Row.fetchAll(db, sql: "SELECT id, body FROM documents WHERE collection = ? ORDER BY id", arguments: [collection])
                .map { (id: $0[0], body: $0[1]) }
        }
    }

    public func saveDocument(collection: String, id: String, body: String) throws {
        try self.pool.write { db in
            try db.execute(
                sql: "INSERT OR REPLACE INTO documents (collection, id, body) VALUES (?, ?, ?)", arguments: [collection, id, body])
        }
    }

    public func deleteDocument(collection: String, id: String) throws {
        try self.pool.write { db in
            try db.execute(sql: "DELETE FROM documents WHERE collection = ? AND id = ?", arguments: [collection, id])
        }
    }

    public func close() throws {
        self.checkpointTimer.cancel()
        try self.checkpointer.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA wal_checkpoint(PASSIVE)") }
        try self.checkpointer.close()
        try self.pool.close()
    }
}
