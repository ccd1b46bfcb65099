import NIOCore

/// Pings every held connection once per interval, spread evenly over it (never
/// all at once), and counts the pongs that do not come within the timeout.
///
/// Connection `k` is pinged at `start + (k + j × N) × interval / N` for j = 0, 1, …;
/// a tick every 10 ms sends the pings that have become due. Pings go out in a
/// fixed order, so their timeouts expire in the same order: a FIFO of what was
/// sent is all the bookkeeping there is. Confined to the connections' event loop.
final class Pinger {
    private let handlers: [HeldConnectionHandler]
    private let eventLoop: any EventLoop
    private let interval: UInt64
    private let timeout: UInt64
    private var start: UInt64 = 0
    /// Pings due so far (connection `scheduled % N` is next).
    private var scheduled = 0
    /// Pings sent and not yet checked: connection and send time, oldest first, from `head` on.
    private var outstanding: [(connection: Int, sentAt: UInt64)] = []
    private var head = 0
    private var stopped = false

    init(handlers: [HeldConnectionHandler], eventLoop: any EventLoop, interval: TimeAmount, timeout: TimeAmount) {
        self.handlers = handlers
        self.eventLoop = eventLoop
        self.interval = UInt64(max(1, interval.nanoseconds))
        self.timeout = UInt64(max(1, timeout.nanoseconds))
    }

    /// Starts pinging; call on the event loop.
    func begin() {
        start = NIODeadline.now().uptimeNanoseconds
        tick()
    }

    /// Stops sending pings; pongs of those sent still count.
    func stop() { stopped = true }

    /// Whether a ping may still wait for its pong (answered ones behind an unanswered one are only forgotten later).
    var waiting: Bool { head < outstanding.count }

    private func tick() {
        guard !stopped, !handlers.isEmpty else { return }
        let now = NIODeadline.now().uptimeNanoseconds
        let count = handlers.count
        let due = Int(Double(now - start) / Double(interval) * Double(count))
        while scheduled < due {
            let k = scheduled % count
            if handlers[k].ping(now: now) { outstanding.append((k, now)) }
            scheduled += 1
        }
        expire(now: now)
        eventLoop.assumeIsolated().scheduleTask(in: .milliseconds(10)) { self.tick() }
    }

    /// Counts as missing the pings sent at least `timeout` before `now` that have no
    /// pong, and forgets the answered ones at the head of the FIFO.
    func expire(now: UInt64) {
        while head < outstanding.count {
            let (connection, sentAt) = outstanding[head]
            if handlers[connection].pendingPing == sentAt {
                guard sentAt + timeout <= now else { break }
                handlers[connection].expirePing(sentAt: sentAt)
            }
            head += 1
        }
        // Drop what has been checked, now and then, so the FIFO stays the size of a timeout's pings.
        if head >= 1024, head * 2 >= outstanding.count {
            outstanding.removeFirst(head)
            head = 0
        }
    }

    /// Counts every ping still without a pong as missing (at the end of the hold).
    func expireAll() {
        expire(now: .max - timeout)
    }
}
