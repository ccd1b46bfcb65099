import Foundation
import Logging
import NIOCore
import Synchronization

extension Hub {
    /// Assigns seqs, commits, then delivers and acknowledges.
    func commit(_ publishes: [Committer.Publish]) {
        let started = ContinuousClock.now
        // Idempotency: which keys are already stored.
        let keyed = publishes.compactMap { publish in publish.key.map { PublishKey(publisher: publish.from ?? "", key: $0) } }
        var known: [PublishKey: (topic: String, seq: Int64)] = [:]
        if !keyed.isEmpty {
            do {
                known = try self.store.lookupKeys(Array(Set(keyed)))
            } catch {
                self.fail(publishes, error)
                return
            }
        }

        var batch = CommitBatch()
        batch.messages.reserveCapacity(publishes.count)
        var outcomes: [Outcome] = []
        outcomes.reserveCapacity(publishes.count)
        var rowOfKey: [PublishKey: Int] = [:]
        var keyedRows: [(key: PublishKey, row: Int)] = []
        for publish in publishes {
            if let key = publish.key {
                let publishKey = PublishKey(publisher: publish.from ?? "", key: key)
                if let original = known[publishKey] {
                    outcomes.append(.duplicate(topic: original.topic, seq: original.seq))
                    continue
                }
                if let row = rowOfKey[publishKey] {
                    outcomes.append(.duplicateInBatch(row))
                    continue
                }
                rowOfKey[publishKey] = batch.messages.count
                keyedRows.append((publishKey, batch.messages.count))
            }
            batch.messages.append(StoredMessage(topic: publish.topic.name, seq: 0, ts: publish.ts, from: publish.from, data: publish.data))
            outcomes.append(.stored(batch.messages.count - 1))
        }
        do {
            try self.assignSeqs(&batch)
        } catch {
            self.fail(publishes, error)
            return
        }
        for (key, row) in keyedRows {
            let message = batch.messages[row]
            batch.keys.append((key, message.topic, message.seq, message.ts))
        }

        if !batch.messages.isEmpty {
            do {
                try self.commitToStore(batch)
            } catch {
                self.fail(publishes, error)
                return
            }
        }
        let committed = ContinuousClock.now

        let messages = batch.messages.map { row in
            Message(topic: Topic(trusted: row.topic), seq: row.seq, ts: row.ts, from: row.from, data: row.data)
        }
        if self.broker == nil {
            // In a cluster, the broker brings every message back to be delivered, in the cluster's order.
            self.topics.recordCommitted(messages, now: Hub.now())
            self.fanOut(messages)
        }

        for (publish, outcome) in zip(publishes, outcomes) {
            switch outcome {
            case .stored(let index):
                let message = messages[index]
                publish.completion(.success(PublishAck(topic: message.topic, seq: message.seq, ts: message.ts, duplicate: false)))
            case .duplicate(let topic, let seq):
                publish.completion(.success(PublishAck(topic: Topic(trusted: topic), seq: seq, ts: publish.ts, duplicate: true)))
            case .duplicateInBatch(let index):
                let message = messages[index]
                publish.completion(.success(PublishAck(topic: message.topic, seq: message.seq, ts: message.ts, duplicate: true)))
            }
        }
        self.metrics.committed(messages: messages.count, duplicates: publishes.count - messages.count, duration: committed - started)
    }

    /// Gives each new message its topic's next seq: from the topic table on one node, from the broker in a cluster.
    private func assignSeqs(_ batch: inout CommitBatch) throws(HubError) {
        guard !batch.messages.isEmpty else { return }
        var runIndex: [String: Int] = [:]
        var runs: [(topic: String, rows: [Int])] = []
        for (row, message) in batch.messages.enumerated() {
            if let index = runIndex[message.topic] {
                runs[index].rows.append(row)
            } else {
                runIndex[message.topic] = runs.count
                runs.append((message.topic, [row]))
            }
        }
        // ts never decreases within a topic, even when the clock steps back: readers (and the
        // SQLite store's time-range search over seqs) may rely on seq order being time order.
        for run in runs {
            var floorTs = self.topics.lastTs(run.topic) ?? .min
            for row in run.rows {
                floorTs = max(floorTs, batch.messages[row].ts)
                batch.messages[row].ts = floorTs
            }
        }
        let firstSeqs: [Int64]
        if let broker = self.broker {
            firstSeqs = try broker.announce(runs.map { run in
                AnnouncedRun(topic: run.topic, floor: self.topics.lastSeq(run.topic), messages: run.rows.map { batch.messages[$0] })
            })
        } else {
            firstSeqs = runs.map { self.topics.lastSeq($0.topic) + 1 }
        }
        for (run, first) in zip(runs, firstSeqs) {
            for (offset, row) in run.rows.enumerated() {
                batch.messages[row].seq = first + Int64(offset)
            }
            batch.lastSeqs[run.topic] = first + Int64(run.rows.count) - 1
        }
    }

    /// Commits to the store; in a cluster the messages are already announced, so a failing
    /// store gets a few more tries before the publishers hear of it.
    private func commitToStore(_ batch: CommitBatch) throws {
        var attempt = 0
        while true {
            do {
                return try self.store.commit(batch)
            } catch {
                attempt += 1
                guard self.broker != nil, attempt < 4 else { throw error }
                self.logger.warning("Commit failed; retrying", metadata: ["error.type": "\(error)", "attempt": "\(attempt)"])
                Thread.sleep(forTimeInterval: 0.05 * Double(attempt))
            }
        }
    }

    private enum Outcome {
        case stored(Int)
        case duplicate(topic: String, seq: Int64)
        /// The same key as an earlier publish of this batch (stored at that row).
        case duplicateInBatch(Int)
    }

    private func fail(_ publishes: [Committer.Publish], _ error: any Error) {
        self.logger.error("Commit failed", metadata: ["error.type": "\(error)", "batch.count": "\(publishes.count)"])
        // A broker's own errors (Redis down) already say what is wrong; anything else came from the store.
        let failure = (error as? HubError) ?? HubError.unavailable("the store could not commit: \(error)")
        self.metrics.rejected(reason: error is HubError ? "broker_error" : "store_error", count: publishes.count)
        for publish in publishes { publish.completion(.failure(failure)) }
    }

    /// Hands committed messages to their subscribers through each event loop's
    /// mailbox; each subscriber gets each topic's run (frames concatenated once
    /// for all) and then one flush per loop turn.
    func fanOut(_ messages: [Message]) {
        guard !messages.isEmpty else { return }
        var byTopic: [String: [Message]] = [:]
        var order: [Topic] = []
        for message in messages {
            if byTopic[message.topic.name] == nil { order.append(message.topic) }
            byTopic[message.topic.name, default: []].append(message)
        }
        var work: [ObjectIdentifier: (mailbox: LoopMailbox, items: [LoopMailbox.Item])] = [:]
        var deliveries = 0
        for topic in order {
            let groups = self.index.targets(for: topic)
            guard !groups.isEmpty else { continue }
            let run = MessageRun(topic: topic, messages: byTopic[topic.name]!)
            for group in groups {
                let id = ObjectIdentifier(group.eventLoop)
                var entry = work.removeValue(forKey: id) ?? (self.mailbox(for: group.eventLoop), [])
                for target in group.targets { entry.items.append((target, run)) }
                deliveries += group.targets.count * run.messages.count
                work[id] = entry
            }
        }
        self.metrics.fannedOut(deliveries)
        for (_, entry) in work {
            entry.mailbox.post(entry.items)
        }
    }

    /// The mailbox of `eventLoop`, created on first use (event loops live as long as the hub).
    func mailbox(for eventLoop: any EventLoop) -> LoopMailbox {
        self.mailboxes.withLock { mailboxes in
            let id = ObjectIdentifier(eventLoop)
            if let mailbox = mailboxes[id] { return mailbox }
            let mailbox = LoopMailbox(eventLoop: eventLoop)
            mailboxes[id] = mailbox
            return mailbox
        }
    }
}
