import Synchronization

/// The hub's in-memory view of every topic: sequence numbers, the recent
/// window of messages, rates, descriptors.
///
/// Seqs are assigned only by the committer thread; everyone else reads.
final class TopicTable: Sendable {
    struct Entry {
        var topic: Topic
        var lastSeq: Int64
        var firstSeq: Int64
        var lastTs: Int64?
        var descriptor: String?
        var window: Window
        var rate = RateMeter()

        /// Messages still stored: seqs are gap-free and retention removes the oldest.
        var count: Int64 { max(0, self.lastSeq - self.firstSeq + 1) }
    }

    /// A read-only copy of one topic's state, for listings.
    struct Snapshot: Sendable {
        var topic: Topic
        var lastSeq: Int64
        var firstSeq: Int64
        var count: Int64
        var lastTs: Int64?
        var rate: Double
        var descriptor: String?
    }

    private let state: Mutex<[String: Entry]>
    let windowSize: Int

    init(topics: [StoredTopic], windowSize: Int) {
        var entries: [String: Entry] = [:]
        for stored in topics {
            entries[stored.name] = Entry(
                topic: Topic(trusted: stored.name),
                lastSeq: stored.lastSeq,
                firstSeq: stored.firstSeq,
                lastTs: stored.lastTs,
                descriptor: stored.descriptor,
                window: Window(capacity: windowSize)
            )
        }
        self.state = Mutex(entries)
        self.windowSize = windowSize
    }

    /// The last assigned seq of `topic` (0 for a new topic).
    func lastSeq(_ topic: String) -> Int64 {
        self.state.withLock { $0[topic]?.lastSeq ?? 0 }
    }

    /// The ts of `topic`'s last committed message, if any.
    func lastTs(_ topic: String) -> Int64? {
        self.state.withLock { $0[topic]?.lastTs }
    }

    /// Records committed messages: seqs, window, rate. Called by the committer after each commit.
    func recordCommitted(_ messages: [Message], now: Int64) {
        let windowSize = self.windowSize
        self.state.withLock { entries in
            for message in messages {
                // One hash of the name per message, and the entry changed in place.
                Self.record(
                    message, now: now,
                    in: &entries[message.topic.name, default: Entry(
                        topic: message.topic, lastSeq: 0, firstSeq: 1, lastTs: nil, descriptor: nil, window: Window(capacity: windowSize))])
            }
        }
    }

    private static func record(_ message: Message, now: Int64, in entry: inout Entry) {
        entry.lastSeq = message.seq
        entry.lastTs = message.ts
        entry.window.append(message)
        entry.rate.record(count: 1, at: now)
    }

    func setFirstSeqs(_ firstSeqs: [String: Int64]) {
        self.state.withLock { entries in
            for (name, first) in firstSeqs {
                entries[name]?.firstSeq = first
            }
        }
    }

    func setDescriptor(_ topic: Topic, _ descriptor: String?) {
        self.state.withLock { entries in
            if entries[topic.name] == nil {
                entries[topic.name] = Entry(
                    topic: topic, lastSeq: 0, firstSeq: 1, lastTs: nil, descriptor: nil, window: Window(capacity: self.windowSize))
            }
            entries[topic.name]!.descriptor = descriptor
        }
    }

    func snapshot(_ topic: String, now: Int64) -> Snapshot? {
        self.state.withLock { entries in entries[topic].map { Self.snapshot($0, now: now) } }
    }

    func snapshots(now: Int64) -> [Snapshot] {
        self.state.withLock { entries in entries.values.map { Self.snapshot($0, now: now) } }
            .sorted { $0.topic.name < $1.topic.name }
    }

    /// The topics that currently match `pattern`, with their last seq.
    func matching(_ pattern: TopicPattern) -> [(Topic, Int64)] {
        self.state.withLock { entries in
            if pattern.isExact {
                return entries[pattern.text].map { [($0.topic, $0.lastSeq)] } ?? []
            }
            return entries.values.filter { pattern.matches($0.topic) }.map { ($0.topic, $0.lastSeq) }
        }
    }

    /// Messages after `after` from the window, if the window still holds all of them.
    ///
    /// Returns `nil` when older messages are needed (the store must be read).
    func windowMessages(_ topic: String, after: Int64, limit: Int) -> (messages: [Message], lastSeq: Int64, firstSeq: Int64)? {
        self.state.withLock { entries -> (messages: [Message], lastSeq: Int64, firstSeq: Int64)? in
            guard let entry = entries[topic] else { return ([], 0, 1) }
            if after >= entry.lastSeq { return ([], entry.lastSeq, entry.firstSeq) }
            guard let messages = entry.window.messages(after: after, limit: limit) else { return nil }
            return (messages, entry.lastSeq, entry.firstSeq)
        }
    }

    func firstSeq(_ topic: String) -> Int64 {
        self.state.withLock { $0[topic]?.firstSeq ?? 1 }
    }

    private static func snapshot(_ entry: Entry, now: Int64) -> Snapshot {
        Snapshot(
            topic: entry.topic, lastSeq: entry.lastSeq, firstSeq: entry.firstSeq, count: entry.count, lastTs: entry.lastTs,
            rate: entry.rate.rate(at: now), descriptor: entry.descriptor)
    }
}

extension TopicTable {
    /// A ring of the newest messages of one topic, so that most replays never touch disk.
    struct Window {
        private var ring: [Message?]
        private var start = 0
        private(set) var count = 0

        init(capacity: Int) {
            self.ring = []
            self.capacity = max(0, capacity)
        }

        let capacity: Int

        mutating func append(_ message: Message) {
            guard self.capacity > 0 else { return }
            if self.ring.count < self.capacity {
                self.ring.append(message)
                self.count += 1
            } else {
                self.ring[self.start] = message
                self.start = (self.start + 1) % self.capacity
            }
        }

        private func at(_ index: Int) -> Message { self.ring[(self.start + index) % self.ring.count]! }

        /// Messages with `seq > after`, or `nil` if the window starts later than `after + 1`.
        func messages(after: Int64, limit: Int) -> [Message]? {
            guard self.count > 0 else { return nil }
            let oldest = self.at(0).seq
            guard oldest <= after + 1 else { return nil }
            let skip = Int(after + 1 - oldest)
            guard skip < self.count else { return [] }
            let end = min(self.count, skip + limit)
            return (skip..<end).map { self.at($0) }
        }
    }

    /// Messages per second over the last few seconds, smoothed.
    struct RateMeter {
        private var bucketStart: Int64 = 0
        private var bucketCount: Double = 0
        private var smoothed: Double = 0

        mutating func record(count: Int, at now: Int64) {
            self.roll(to: now)
            self.bucketCount += Double(count)
        }

        /// Exponentially weighted rate of whole seconds, decaying when nothing arrives.
        func rate(at now: Int64) -> Double {
            var copy = self
            copy.roll(to: now)
            return (copy.smoothed * 100).rounded() / 100
        }

        private mutating func roll(to now: Int64) {
            let second = now / 1000
            if self.bucketStart == 0 { self.bucketStart = second }
            guard second > self.bucketStart else { return }
            let elapsed = second - self.bucketStart
            self.smoothed = 0.5 * self.smoothed + 0.5 * self.bucketCount
            if elapsed > 1 {
                for _ in 1..<min(elapsed, 20) { self.smoothed *= 0.5 }
                if elapsed >= 20 { self.smoothed = 0 }
            }
            self.bucketCount = 0
            self.bucketStart = second
        }
    }
}
