extension Hub: ClusterNode {
    public func deliveredSeq(_ topic: String) -> Int64 {
        self.topics.lastSeq(topic)
    }

    public func deliveredSeqs() -> [String: Int64] {
        Dictionary(uniqueKeysWithValues: self.topics.snapshots(now: 0).map { ($0.topic.name, $0.lastSeq) })
    }

    public func storedSeqs() throws -> [String: Int64] {
        Dictionary(try self.store.loadTopics().map { ($0.name, $0.lastSeq) }, uniquingKeysWith: max)
    }

    public func deliver(_ rows: [StoredMessage]) {
        let messages = rows.map { row in
            Message(topic: Topic(trusted: row.topic), seq: row.seq, ts: row.ts, from: row.from, data: row.data)
        }
        self.topics.recordCommitted(messages, now: Hub.now())
        self.fanOut(messages)
    }
}
