import PostgresNIO
public import SwitchboardCore

extension PostgresStore {
    /// Deletes by age and by count, oldest first, in statements of at most ``retentionChunk`` rows
    /// (each its own transaction) so the committer's writes interleave with the deletes.
    /// Messages only ever get higher seqs, so deleting a prefix needs no transaction around it.
    public func applyRetention(_ rules: [RetentionRule.Resolved]) throws -> [String: Int64] {
        var firstSeqs: [String: Int64] = [:]
        var oldestKept: Int64? = nil
        for rule in rules {
            guard let lastSeq = try self.recordedLastSeq(rule.topic) else { continue }
            var deleted = 0
            while true {
                let changes = try self.deleteOldestChunk(rule)
                deleted += changes
                if changes == 0 { break }
            }
            if let minTs = rule.minTs { oldestKept = min(oldestKept ?? minTs, minTs) }
            if deleted > 0 {
                self.logger.debug("Retention deleted messages", metadata: ["topic": "\(rule.topic)", "count": "\(deleted)"])
            }
            firstSeqs[rule.topic] = try self.firstStoredSeq(rule.topic) ?? (lastSeq + 1)
        }
        if let oldestKept {
            // Idempotency keys live as long as the oldest messages kept by age.
            try self.connections.write("deleting old idempotency keys") { connection in
                try self.connections.run("DELETE FROM publish_keys WHERE ts < \(oldestKept)", on: connection)
            }
        }
        return firstSeqs
    }

    /// Deletes the next chunk of what `rule` says must go; returns how many rows that was.
    private func deleteOldestChunk(_ rule: RetentionRule.Resolved) throws -> Int {
        let topic = rule.topic
        return try self.connections.write("applying retention to \(topic)") { connection -> Int in
            let firstRows = try self.connections.run("SELECT min(seq) FROM messages WHERE topic = \(topic)", on: connection)
            guard let first = try firstRows.first?.decode(Int64?.self) else { return 0 }
            var upTo = first + Self.retentionChunk - 1
            if let maxDeleted = rule.maxDeletedSeq, let minTs = rule.minTs {
                upTo = min(upTo, max(maxDeleted, try self.lastOlder(topic, upTo: upTo, than: minTs, on: connection) ?? 0))
            } else if let maxDeleted = rule.maxDeletedSeq {
                upTo = min(upTo, maxDeleted)
            } else if let minTs = rule.minTs {
                upTo = try self.lastOlder(topic, upTo: upTo, than: minTs, on: connection) ?? 0
            }
            guard upTo >= first else { return 0 }
            let result = try self.connections.run("DELETE FROM messages WHERE topic = \(topic) AND seq <= \(upTo)", on: connection)
            return result.metadata.rows ?? 0
        }
    }

    /// The highest seq at or below `upTo` of a message older than `minTs`.
    private func lastOlder(_ topic: String, upTo: Int64, than minTs: Int64, on connection: PostgresConnection) throws -> Int64? {
        let rows = try self.connections.run(
            "SELECT max(seq) FROM messages WHERE topic = \(topic) AND seq <= \(upTo) AND ts < \(minTs)", on: connection)
        return try rows.first?.decode(Int64?.self)
    }

    private func recordedLastSeq(_ topic: String) throws -> Int64? {
        try self.connections.read("reading the state of \(topic)") { connection in
            let rows = try self.connections.run("SELECT last_seq FROM topics WHERE name = \(topic)", on: connection)
            return try rows.first?.decode(Int64.self)
        }
    }

    private func firstStoredSeq(_ topic: String) throws -> Int64? {
        try self.connections.read("reading the state of \(topic)") { connection in
            let rows = try self.connections.run("SELECT min(seq) FROM messages WHERE topic = \(topic)", on: connection)
            return try rows.first?.decode(Int64?.self)
        }
    }
}
