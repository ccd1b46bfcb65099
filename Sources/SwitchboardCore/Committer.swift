import Foundation
public import NIOCore

/// The queue in front of the store and the one thread that drains it.
///
/// Every publish goes through here, so seq assignment, commit and fan-out
/// happen in one order on one thread: gap-free seqs without a lock per topic,
/// and batches as large as the load makes them (a commit's latency is the
/// only delay a message waits for company).
final class Committer: @unchecked Sendable {
    struct Publish {
        let topic: Topic
        let data: ByteBuffer
        let from: String?
        let key: String?
        let ts: Int64
        let completion: Hub.PublishCompletion
    }

    // Guarded by `condition`.
    private let condition = NSCondition()
    private var queue: [Publish] = []
    private var queuedPublishes = 0
    private var state: State = .idle
    private enum State { case idle, running, stopping, stopped }

    private let maxQueued: Int
    private let maxBatch = 8192
    private var thread: Thread?
    private let finished = DispatchSemaphore(value: 0)

    init(maxQueued: Int) {
        self.maxQueued = maxQueued
    }

    /// Starts the thread; `process` receives each batch of publishes in order.
    func start(_ process: @escaping @Sendable ([Publish]) -> Void) {
        self.condition.lock()
        guard self.state == .idle else {
            self.condition.unlock()
            return
        }
        self.state = .running
        self.condition.unlock()
        let thread = Thread { [self] in
            self.loop(process)
            self.finished.signal()
        }
        thread.name = "switchboard-committer"
        thread.qualityOfService = .userInitiated
        self.thread = thread
        thread.start()
    }

    /// Queues `publish`; returns false when the queue is full or the committer stopped.
    func enqueue(_ publish: Publish) -> Bool {
        self.condition.lock()
        defer { self.condition.unlock() }
        guard self.state == .running || self.state == .idle else { return false }
        guard self.queuedPublishes < self.maxQueued else { return false }
        self.queuedPublishes += 1
        self.queue.append(publish)
        if self.queue.count == 1 || self.queue.count == Self.lingerBatch { self.condition.signal() }
        return true
    }

    /// Drains what is queued, then stops the thread and waits for it.
    func stop() {
        self.condition.lock()
        let wasRunning = self.state == .running
        if self.state == .running || self.state == .idle { self.state = .stopping }
        self.condition.signal()
        self.condition.unlock()
        if wasRunning { self.finished.wait() }
    }

    private func loop(_ process: @Sendable ([Publish]) -> Void) {
        while true {
            self.condition.lock()
            while self.queue.isEmpty && self.state == .running {
                self.condition.wait()
            }
            if self.queue.isEmpty {
                self.state = .stopped
                self.condition.unlock()
                return
            }
            self.lingerForCompany()
            let take = min(self.queue.count, self.maxBatch)
            let batch = Array(self.queue.prefix(take))
            self.queue.removeFirst(take)
            self.queuedPublishes -= take
            self.condition.unlock()
            process(batch)
            self.lastCommitEnded = ContinuousClock.now
        }
    }

    /// Under a steady stream of small publishes (say, a thousand devices each sending now and
    /// then), waits up to `linger` for more before committing: a commit of one message costs
    /// nearly what a commit of fifty does (a transaction, a page per topic, the WAL frames). Only
    /// while commits follow each other closely; an idle hub commits a lone publish at once.
    /// Called with `condition` locked.
    private func lingerForCompany() {
        guard self.queue.count < Self.lingerBatch, self.state == .running,
            ContinuousClock.now - self.lastCommitEnded < Self.streamGap
        else { return }
        let deadline = Date(timeIntervalSinceNow: Self.linger)
        while self.queue.count < Self.lingerBatch && self.state == .running {
            if !self.condition.wait(until: deadline) { return }
        }
    }

    /// Longest wait for company.
    static let linger: TimeInterval = 0.001
    /// A batch this large commits without waiting.
    static let lingerBatch = 64
    /// Commits closer together than this count as a stream.
    static let streamGap = Duration.milliseconds(5)
    /// Touched only by the committer thread.
    private var lastCommitEnded = ContinuousClock.now - .seconds(1)
}
