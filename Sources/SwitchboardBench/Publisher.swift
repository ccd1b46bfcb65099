import NIOCore

/// Sends the open-loop schedule on the publisher connection: message `i` is due at
/// `start + i / rate`. Every millisecond it writes all messages that have become
/// due and flushes once; it never waits for the server, so a slow server shows up
/// as latency and loss rather than as a lower offered load.
///
/// Confined to the publisher channel's event loop.
final class Publisher {
    private let channel: any Channel
    private let start: UInt64
    private let interval: Double
    private let total: Int
    private let size: Int
    private let windowStart: UInt64
    private let windowEnd: UInt64
    /// WebSocket frames or MQTT packets, as the publisher URL's scheme says.
    private var framing: any MessageFraming

    /// Messages written so far.
    private(set) var sent = 0
    /// Messages written while the measured window was open, by actual write time.
    private(set) var sentInWindow = 0
    /// The largest delay between a message's intended and actual write, in ns: a
    /// load generator that cannot keep up with its own schedule shows here.
    private(set) var maxLag: UInt64 = 0

    init(
        channel: any Channel, framing: any MessageFraming, start: UInt64, rate: Double, total: Int, size: Int,
        windowStart: UInt64, windowEnd: UInt64
    ) {
        self.channel = channel
        self.framing = framing
        self.start = start
        interval = 1e9 / rate
        self.total = total
        self.size = size
        self.windowStart = windowStart
        self.windowEnd = windowEnd
    }

    /// The intended send time of message `index`.
    func intendedTime(_ index: Int) -> UInt64 { start + UInt64(Double(index) * interval) }

    /// Starts ticking; call on the channel's event loop.
    func begin() {
        let now = NIODeadline.now().uptimeNanoseconds
        scheduleTick(after: start > now ? start - now : 0)
    }

    private func scheduleTick(after nanoseconds: UInt64) {
        channel.eventLoop.assumeIsolated().scheduleTask(in: .nanoseconds(Int64(nanoseconds))) {
            self.tick()
        }
    }

    private func tick() {
        let now = NIODeadline.now().uptimeNanoseconds
        guard channel.isActive else { return }
        let due = now < start ? 0 : min(total, Int(Double(now - start) / interval) + 1)
        if sent < due {
            maxLag = max(maxLag, now - intendedTime(sent))
            if now >= windowStart, now < windowEnd { sentInWindow += due - sent }
            while sent < due {
                framing.write(index: sent, intendedTime: intendedTime(sent), size: size, to: channel)
                sent += 1
            }
            channel.flush()
        }
        if sent < total { scheduleTick(after: 1_000_000) }
    }
}
