import PostgresNIO
public import SwitchboardCore

extension PostgresStore {
    /// Writes `batch` as one statement, which PostgreSQL runs as one transaction: all of it or nothing.
    ///
    /// Three inserts fed by `unnest` over column arrays, chained as data-modifying CTEs: one round
    /// trip and one parse however large the batch. Safe beside another writer on the same database:
    /// `last_seq` only grows (GREATEST), topics are upserted in name order (no lock-order deadlock),
    /// and a (topic, seq) the other writer already stored fails the whole batch with `.duplicateSeq`.
    ///
    /// A statement whose answer never came (the connection broke, or the server stopped answering)
    /// may still have run: the writer then reconnects, ending the old server process first if it was
    /// left unanswered, and looks for the batch's first message. A batch that was stored is reported
    /// stored (else the hub would give its seqs out again), one that was not fails.
    public func commit(_ batch: CommitBatch) throws {
        do {
            try self.insert(batch)
        } catch let error as PostgresStoreError where error.reason == .unreachable {
            guard let first = batch.messages.first, (try? self.isStored(topic: first.topic, seq: first.seq)) == true else {
                throw error
            }
            self.logger.warning("A commit went unanswered but was stored", metadata: ["error.type": "\(error)"])
        }
    }

    private func isStored(topic: String, seq: Int64) throws -> Bool {
        try self.connections.write("checking whether an unanswered commit was stored") { connection in
            let rows = try self.connections.run("SELECT 1 FROM messages WHERE topic = \(topic) AND seq = \(seq)", on: connection)
            return rows.first != nil
        }
    }

    private func insert(_ batch: CommitBatch) throws {
        let columns = CommitColumns(batch)
        try self.connections.write("committing \(batch.messages.count) messages") { connection in
            try self.connections.run(
                """
                WITH topic_rows AS (
                    INSERT INTO topics (name, last_seq)
                    SELECT * FROM unnest(\(columns.topicNames)::text[], \(columns.topicLastSeqs)::bigint[])
                    ON CONFLICT (name) DO UPDATE SET last_seq = GREATEST(topics.last_seq, excluded.last_seq)
                ), key_rows AS (
                    INSERT INTO publish_keys (publisher, key, topic, seq, ts)
                    SELECT * FROM unnest(
                        \(columns.keyPublishers)::text[], \(columns.keyKeys)::text[], \(columns.keyTopics)::text[],
                        \(columns.keySeqs)::bigint[], \(columns.keyTss)::bigint[])
                    ON CONFLICT DO NOTHING
                )
                INSERT INTO messages (topic, seq, ts, "from", data)
                SELECT * FROM unnest(
                    \(columns.topics)::text[], \(columns.seqs)::bigint[], \(columns.tss)::bigint[],
                    \(columns.senders)::text[], \(columns.data)::bytea[])
                """, on: connection)
        }
    }
}

/// A commit batch as column arrays, the shape `unnest` takes.
struct CommitColumns {
    var topicNames = ArrayColumn.text()
    var topicLastSeqs = ArrayColumn.int8()
    var keyPublishers = ArrayColumn.text()
    var keyKeys = ArrayColumn.text()
    var keyTopics = ArrayColumn.text()
    var keySeqs = ArrayColumn.int8()
    var keyTss = ArrayColumn.int8()
    var topics = ArrayColumn.text()
    var seqs = ArrayColumn.int8()
    var tss = ArrayColumn.int8()
    var senders = ArrayColumn.text()
    var data = ArrayColumn.bytea()

    init(_ batch: CommitBatch) {
        for (topic, lastSeq) in batch.lastSeqs.sorted(by: { $0.key < $1.key }) {
            self.topicNames.append(topic)
            self.topicLastSeqs.append(lastSeq)
        }
        for entry in batch.keys {
            self.keyPublishers.append(entry.key.publisher)
            self.keyKeys.append(entry.key.key)
            self.keyTopics.append(entry.topic)
            self.keySeqs.append(entry.seq)
            self.keyTss.append(entry.ts)
        }
        let count = batch.messages.count
        self.topics.reserve(count, bytesEach: batch.messages.first?.topic.utf8.count ?? 0)
        self.seqs.reserve(count, bytesEach: 8)
        self.tss.reserve(count, bytesEach: 8)
        self.data.reserve(count, bytesEach: batch.messages.first?.data.readableBytes ?? 0)
        for message in batch.messages {
            self.topics.append(message.topic)
            self.seqs.append(message.seq)
            self.tss.append(message.ts)
            self.senders.append(message.from)
            self.data.append(message.data)
        }
    }
}
