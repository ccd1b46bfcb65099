import Logging
public import NIOCore

/// The subscriptions of one connection, and the logic that makes them
/// reliable: replay with `since`/`last`, a gap-free handover from replay to
/// live, the bounded outbound queue, and `latest` conflation.
///
/// Confined to its event loop: the hub calls ``deliver(_:)`` there, and the
/// transport calls everything else there.
///
/// How the handover works: a subscription is added to the hub *before* its
/// history is read, so every message is either in the history read or
/// arrives live; live messages of a recovering topic are held back until the
/// replay is done, and per-topic `lastSeq` drops whatever was already sent.
public final class Session: Subscriber, @unchecked Sendable {
    public let eventLoop: any EventLoop
    let hub: Hub
    let limits: Hub.Outbound
    /// Cleared when the session closes, which breaks the session ↔ outlet cycle.
    private var outlet: (any Outlet)?

    /// The highest seq written per topic.
    private var lastSeq: [String: Int64] = [:]
    /// Topics being replayed, with the live messages held back meanwhile.
    private var recovering: [String: Recovery] = [:]
    /// Newest message per topic of `latest` subscriptions, waiting for the queue to drain.
    private var conflated: [String: Message] = [:]
    private var conflatedOrder: [String] = []

    private var queuedMessages = 0
    private var queuedBytes = 0
    private var unflushedMessages = 0
    private var unflushedBytes = 0
    /// Held back so the last write of a flush can carry a promise.
    private var lastUnflushed: ByteBuffer?
    private var afterFlush: [() -> Void] = []
    public private(set) var isClosed = false

    private struct Recovery {
        var held: [(run: MessageRun, lossless: Bool)] = []
        var heldMessages = 0
        var overflowed = false
    }

    public init(hub: Hub, eventLoop: any EventLoop, outlet: any Outlet) {
        self.hub = hub
        self.eventLoop = eventLoop
        self.limits = hub.configuration.outbound
        self.outlet = outlet
    }

    // MARK: - Subscribing

    /// Subscribes to `patterns`, first replaying what `since` and `last` ask for.
    ///
    /// - Parameters:
    ///   - since: per topic, the last seq the client saw: everything after it is replayed.
    ///   - last: the newest `last` stored messages of each matching topic are sent first.
    ///   - acknowledgement: the transport's answer to the request, written before anything the
    ///     subscriptions deliver but flushed only once they are registered: a client that
    ///     publishes as soon as it reads the answer must find itself subscribed.
    public func subscribe(
        _ patterns: [TopicPattern], since: [Topic: Int64] = [:], last: Int = 0, policy: DeliveryPolicy = .lossless,
        acknowledgement: ByteBuffer? = nil
    ) {
        self.eventLoop.preconditionInEventLoop()
        guard !self.isClosed else { return }
        if let acknowledgement { self.writeBytes(acknowledgement) }
        defer { if acknowledgement != nil { self.flush() } }
        for pattern in patterns {
            self.hub.addSubscription(self, pattern: pattern, policy: policy)
        }
        var starts: [Topic: Int64] = [:]
        if last > 0 {
            for pattern in patterns {
                for (topic, lastSeq) in self.hub.topics(matching: pattern) {
                    starts[topic] = max(0, lastSeq - Int64(last))
                }
            }
        }
        for (topic, seq) in since where patterns.contains(where: { $0.matches(topic) }) {
            starts[topic] = max(0, seq)
        }
        for (topic, after) in starts.sorted(by: { $0.key.name < $1.key.name }) {
            self.startRecovery(topic, after: after)
        }
    }

    /// Removes subscriptions; returns the patterns that were not subscribed.
    public func unsubscribe(_ patterns: [TopicPattern]) -> [TopicPattern] {
        patterns.filter { !self.hub.removeSubscription(self, pattern: $0) }
    }

    /// The highest seq written per topic: what a transport that remembers a client's
    /// position (an MQTT persistent session) stores. Replays move it to their start first.
    public var writtenSeqs: [String: Int64] { self.lastSeq }

    /// How many patterns this session is subscribed to.
    public var subscriptionCount: Int { self.hub.subscriptionCount(of: self) }

    /// Stops all deliveries; call when the connection closes.
    public func close() {
        guard !self.isClosed else { return }
        self.isClosed = true
        self.hub.removeSubscriber(self)
        self.outlet = nil
        self.recovering.removeAll()
        self.conflated.removeAll()
        self.afterFlush.removeAll()
    }

    /// Writes a non-message frame (an answer, an error) in order with the messages, and flushes.
    public func writeControl(_ bytes: ByteBuffer) {
        guard !self.isClosed else { return }
        self.writeBytes(bytes)
        self.flush()
    }

    // MARK: - Live delivery

    public func deliver(_ run: MessageRun, lossless: Bool) {
        guard !self.isClosed else { return }
        if !self.recovering.isEmpty, self.recovering[run.topic.name] != nil {
            self.hold(run, lossless: lossless)
            return
        }
        self.send(run, lossless: lossless)
    }

    private func hold(_ run: MessageRun, lossless: Bool) {
        let name = run.topic.name
        self.recovering[name]!.held.append((run, lossless))
        self.recovering[name]!.heldMessages += run.messages.count
        if self.recovering[name]!.heldMessages > self.limits.maxMessages {
            // Everything held is committed: drop it and replay once more from the store instead.
            self.recovering[name]!.held.removeAll()
            self.recovering[name]!.heldMessages = 0
            self.recovering[name]!.overflowed = true
        }
    }

    private var isBehind: Bool {
        self.queuedMessages + self.unflushedMessages >= self.limits.latestThreshold
    }

    private func fits(messages: Int, bytes: Int) -> Bool {
        self.queuedMessages + self.unflushedMessages + messages <= self.limits.maxMessages
            && self.queuedBytes + self.unflushedBytes + bytes <= self.limits.maxBytes
    }

    /// Sends a run: in the common case, all of it is new and fits, and its shared
    /// concatenated frames go out as one write; otherwise message by message.
    private func send(_ run: MessageRun, lossless: Bool) {
        guard let outlet = self.outlet else { return }
        let name = run.topic.name
        if run.firstSeq > (self.lastSeq[name] ?? 0) && (lossless || !self.isBehind) {
            let bytes = outlet.encode(run)
            if !lossless || self.fits(messages: run.messages.count, bytes: bytes.readableBytes) {
                self.writeBytes(bytes, messages: run.messages.count)
                self.lastSeq[name] = run.lastSeq
                return
            }
        }
        for message in run.messages {
            self.send(message, lossless: lossless)
            if self.isClosed { return }
        }
    }

    private func send(_ message: Message, lossless: Bool) {
        let name = message.topic.name
        if let last = self.lastSeq[name], message.seq <= last { return }
        if !lossless && self.isBehind {
            if self.conflated.updateValue(message, forKey: name) == nil {
                self.conflatedOrder.append(name)
            } else {
                DropMetrics.dropped(reason: "conflated")
            }
            return
        }
        if lossless && !self.fits(messages: 1, bytes: message.frames.op.readableBytes) {
            self.overflow()
            return
        }
        self.write(message)
    }

    private func write(_ message: Message) {
        guard let outlet = self.outlet else { return }
        self.writeBytes(outlet.encode(message))
        self.lastSeq[message.topic.name] = message.seq
    }

    private func writeBytes(_ bytes: ByteBuffer, messages: Int = 1) {
        if let previous = self.lastUnflushed { self.outlet?.write(previous, promise: nil) }
        self.lastUnflushed = bytes
        self.unflushedMessages += messages
        self.unflushedBytes += bytes.readableBytes
        // Many batches can be delivered in one loop turn (one run per topic each, when the
        // loop was busy): hand them to the socket as they come, so that the outbound limit
        // measures what the client has not taken, not what this turn has not flushed yet.
        if self.unflushedMessages >= self.limits.maxMessages / 4 || self.unflushedBytes >= self.limits.maxBytes / 4 {
            self.flush()
        }
    }

    private func overflow() {
        let reason = "slow consumer: more than \(self.limits.maxMessages) messages or \(self.limits.maxBytes) bytes queued; resume with since"
        DropMetrics.dropped(reason: "slow_consumer")
        let outlet = self.outlet
        self.close()
        outlet?.closeSlowConsumer(reason: reason)
    }

    /// Sends everything written since the last flush; `then` runs once it reached the OS.
    public func flush() {
        self.flush(then: nil)
    }

    private func flush(then: (() -> Void)?) {
        guard !self.isClosed, let outlet = self.outlet else { return }
        guard let last = self.lastUnflushed else {
            if let then {
                if self.queuedMessages == 0 { then() } else { self.afterFlush.append(then) }
            }
            return
        }
        let messages = self.unflushedMessages
        let bytes = self.unflushedBytes
        self.queuedMessages += messages
        self.queuedBytes += bytes
        self.unflushedMessages = 0
        self.unflushedBytes = 0
        self.lastUnflushed = nil
        if let then { self.afterFlush.append(then) }
        let promise = self.eventLoop.makePromise(of: Void.self)
        outlet.write(last, promise: promise)
        outlet.flush()
        promise.futureResult.whenComplete { [self] _ in
            self.queuedMessages -= messages
            self.queuedBytes -= bytes
            self.drained()
        }
    }

    /// The socket took a batch: send conflated values, and continue replays waiting for room.
    private func drained() {
        guard !self.isClosed else { return }
        if !self.conflatedOrder.isEmpty && !self.isBehind {
            let order = self.conflatedOrder
            self.conflatedOrder.removeAll()
            for name in order {
                if let message = self.conflated.removeValue(forKey: name), message.seq > (self.lastSeq[name] ?? 0) {
                    self.write(message)
                }
            }
            self.flush(then: nil)
        }
        if self.queuedMessages == 0 && !self.afterFlush.isEmpty {
            let waiting = self.afterFlush
            self.afterFlush.removeAll()
            for body in waiting { body() }
        }
    }

    // MARK: - Recovery

    private func startRecovery(_ topic: Topic, after: Int64) {
        guard self.recovering[topic.name] == nil else { return }
        self.recovering[topic.name] = Recovery()
        // A `since` beyond the newest message must not hide the next ones.
        self.lastSeq[topic.name] = min(after, self.hub.topics.lastSeq(topic.name))
        self.replayNextPage(topic)
    }

    private func replayNextPage(_ topic: Topic) {
        self.continueReplay(topic, with: self.readReplayPage(topic))
    }

    /// Reads the page after the last seq written of `topic`.
    private func readReplayPage(_ topic: Topic) -> (after: Int64, page: EventLoopFuture<Hub.ReplayPage>) {
        let after = self.lastSeq[topic.name] ?? 0
        let encoding = self.outlet?.replayEncoding(topic: topic)
        return (after, self.hub.replayPage(topic: topic, after: after, limit: self.limits.replayPageSize, encoding: encoding, on: self.eventLoop))
    }

    /// Writes the page being read, and while the socket takes it, reads the next one already.
    private func continueReplay(_ topic: Topic, with read: (after: Int64, page: EventLoopFuture<Hub.ReplayPage>)) {
        read.page.whenComplete { [self] result in
            guard !self.isClosed, self.recovering[topic.name] != nil else { return }
            switch result {
            case .success(let page):
                // Encoded rows cannot be trimmed: a page that no longer starts right after what was sent is read again.
                guard page.encoded.count == 0 || (self.lastSeq[topic.name] ?? 0) == read.after else {
                    self.replayNextPage(topic)
                    return
                }
                self.writeReplay(page, topic: topic, after: read.after)
                if page.count >= self.limits.replayPageSize {
                    let next = self.readReplayPage(topic)
                    self.flush { [self] in
                        guard !self.isClosed else { return }
                        self.continueReplay(topic, with: next)
                    }
                } else {
                    self.finishRecovery(topic)
                }
            case .failure(let error):
                self.hub.logger.error("Replay failed", metadata: ["topic": "\(topic)", "error.type": "\(error)"])
                let outlet = self.outlet
                self.close()
                outlet?.closeSlowConsumer(reason: "replay failed; retry with since")
            }
        }
    }

    private func writeReplay(_ page: Hub.ReplayPage, topic: Topic, after: Int64) {
        guard let outlet = self.outlet else { return }
        // Whatever lies between `after` and the first message still stored is gone: say so.
        let firstAvailable = page.firstMessageSeq ?? (page.lastSeq + 1)
        if firstAvailable > after + 1 && page.lastSeq > after {
            let to = min(firstAvailable - 1, page.lastSeq)
            self.writeBytes(outlet.encodeGap(topic: topic, from: after + 1, to: to))
            self.lastSeq[topic.name] = to
        }
        for message in page.messages where message.seq > (self.lastSeq[topic.name] ?? 0) {
            self.write(message)
        }
        // Rows are in seq order: skip what was sent, write the rest as one buffer.
        let sent = self.lastSeq[topic.name] ?? 0
        let rows = page.stored.drop { $0.seq <= sent }
        if let last = rows.last {
            self.writeBytes(outlet.encode(rows, topic: topic), messages: rows.count)
            self.lastSeq[topic.name] = last.seq
        }
        if let last = page.encoded.lastSeq, last > sent {
            self.writeBytes(page.encoded.bytes, messages: page.encoded.count)
            self.lastSeq[topic.name] = last
        }
    }

    private func finishRecovery(_ topic: Topic) {
        guard let recovery = self.recovering[topic.name] else { return }
        if recovery.overflowed {
            self.recovering[topic.name] = Recovery()
            self.flush { [self] in
                guard !self.isClosed else { return }
                self.replayNextPage(topic)
            }
            return
        }
        self.recovering[topic.name] = nil
        for (run, lossless) in recovery.held {
            self.send(run, lossless: lossless)
            if self.isClosed { return }
        }
        self.flush()
    }
}
