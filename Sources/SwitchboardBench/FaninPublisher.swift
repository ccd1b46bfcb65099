import NIOCore

/// Sends the open-loop schedule of a fan-in run over P publisher connections:
/// message `i` is due at `start + i / rate` and goes out on publisher `i % P`.
/// Every millisecond it writes all messages that have become due, each touched
/// connection getting one buffer and one flush; it never waits for the server,
/// so a slow server shows up as latency and loss rather than as less load.
///
/// Confined to the event loop of the publisher connections (all on one loop).
final class FaninPublisher {
    private let outlets: [RawFrameOutlet]
    private let eventLoop: any EventLoop
    private let start: UInt64
    private let interval: Double
    private let total: Int
    private let size: Int
    private let windowStart: UInt64
    private let windowEnd: UInt64
    private var writer = MaskedMessageWriter()
    /// The frames of this tick per publisher; nil for publishers not touched yet.
    private var pending: [ByteBuffer?]
    private var touched: [Int] = []

    /// Messages of the schedule dealt with so far (written, or skipped on a closed connection).
    private(set) var sent = 0
    /// Messages written while the measured window was open, by actual write time.
    private(set) var sentInWindow = 0
    /// Messages not written because their publisher's connection had closed.
    private(set) var skipped = 0
    /// The largest delay between a message's intended and actual write, in ns.
    private(set) var maxLag: UInt64 = 0

    init(
        outlets: [RawFrameOutlet], eventLoop: any EventLoop, start: UInt64, rate: Double, total: Int, size: Int,
        windowStart: UInt64, windowEnd: UInt64
    ) {
        self.outlets = outlets
        self.eventLoop = eventLoop
        self.start = start
        interval = 1e9 / rate
        self.total = total
        self.size = size
        self.windowStart = windowStart
        self.windowEnd = windowEnd
        pending = Array(repeating: nil, count: outlets.count)
    }

    /// The intended send time of message `index`.
    func intendedTime(_ index: Int) -> UInt64 { start + UInt64(Double(index) * interval) }

    /// Starts ticking; call on the event loop.
    func begin() {
        let now = NIODeadline.now().uptimeNanoseconds
        scheduleTick(after: start > now ? start - now : 0)
    }

    private func scheduleTick(after nanoseconds: UInt64) {
        eventLoop.assumeIsolated().scheduleTask(in: .nanoseconds(Int64(nanoseconds))) {
            self.tick()
        }
    }

    private func tick() {
        let now = NIODeadline.now().uptimeNanoseconds
        let due = now < start ? 0 : min(total, Int(Double(now - start) / interval) + 1)
        if sent < due {
            maxLag = max(maxLag, now - intendedTime(sent))
            if now >= windowStart, now < windowEnd { sentInWindow += due - sent }
            let publishers = outlets.count
            let frameSize = size + 14
            while sent < due {
                let k = sent % publishers
                if pending[k] == nil {
                    guard outlets[k].isActive else {
                        skipped += 1
                        sent += 1
                        continue
                    }
                    pending[k] = outlets[k].allocator.buffer(capacity: frameSize)
                    touched.append(k)
                }
                writer.write(index: sent, intendedTime: intendedTime(sent), size: size, into: &pending[k]!)
                sent += 1
            }
            for k in touched {
                outlets[k].send(pending[k]!)
                pending[k] = nil
            }
            touched.removeAll(keepingCapacity: true)
        }
        if sent < total { scheduleTick(after: 1_000_000) }
    }
}
