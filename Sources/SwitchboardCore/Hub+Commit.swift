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
        var nextSeq: [String: Int64] = [:]
        var outcomes: [Outcome] = []
        outcomes.reserveCapacity(publishes.count)
        for publish in publishes {
            var publishKey: PublishKey? = nil
            if let key = publish.key {
                let candidate = PublishKey(publisher: publish.from ?? "", key: key)
                if let original = known[candidate] {
                    outcomes.append(.duplicate(topic: original.topic, seq: original.seq))
                    continue
                }
                publishKey = candidate
            }
            let name = publish.topic.name
            let seq = (nextSeq[name] ?? self.topics.lastSeq(name)) + 1
            nextSeq[name] = seq
            batch.messages.append(StoredMessage(topic: name, seq: seq, ts: publish.ts, from: publish.from, data: publish.data))
            if let publishKey {
                batch.keys.append((publishKey, name, seq, publish.ts))
                known[publishKey] = (name, seq)
            }
            outcomes.append(.stored(batch.messages.count - 1))
        }
        batch.lastSeqs = nextSeq

        if !batch.messages.isEmpty {
            do {
                try self.store.commit(batch)
            } catch {
                self.fail(publishes, error)
                return
            }
        }
        let committed = ContinuousClock.now

        let messages = batch.messages.map { row in
            Message(topic: Topic(trusted: row.topic), seq: row.seq, ts: row.ts, from: row.from, data: row.data)
        }
        self.topics.recordCommitted(messages, now: Hub.now())
        self.fanOut(messages)

        for (publish, outcome) in zip(publishes, outcomes) {
            switch outcome {
            case .stored(let index):
                let message = messages[index]
                publish.completion(.success(PublishAck(topic: message.topic, seq: message.seq, ts: message.ts, duplicate: false)))
            case .duplicate(let topic, let seq):
                publish.completion(.success(PublishAck(topic: Topic(trusted: topic), seq: seq, ts: publish.ts, duplicate: true)))
            }
        }
        self.metrics.committed(messages: messages.count, duplicates: publishes.count - messages.count, duration: committed - started)
    }

    private enum Outcome {
        case stored(Int)
        case duplicate(topic: String, seq: Int64)
    }

    private func fail(_ publishes: [Committer.Publish], _ error: any Error) {
        self.logger.error("Commit failed", metadata: ["error.type": "\(error)", "batch.count": "\(publishes.count)"])
        self.metrics.rejected(reason: "store_error", count: publishes.count)
        let failure = HubError.unavailable("the store could not commit: \(error)")
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
