import Histogram

/// The per-frame bookkeeping of one event loop's subscribers.
///
/// A struct, so that the receive path mutates it through a single `inout` access
/// per socket read instead of one dynamic exclusivity check per field per frame.
///
/// Loss is exact per message index: each subscriber has one bit per measured
/// message, so a duplicate of one message can never hide the loss of another.
struct ReceiveRecorder {
    /// The first message index after warm-up.
    let firstMeasured: Int
    /// How many messages are measured (indices `firstMeasured ..< firstMeasured + measuredCount`).
    let measuredCount: Int
    let wordsPerSubscriber: Int
    /// One bit per (subscriber row, measured message), owned by `LoopTally`. Raw
    /// memory because this is the hottest store of the receive path.
    let seen: UnsafeMutablePointer<UInt64>
    /// Frames received between these monotonic times count towards the delivered rate.
    var windowStart: UInt64 = .max
    var windowEnd: UInt64 = .max
    var totals = ReceiveTotals()

    /// Records one received message.
    ///
    /// - Parameters:
    ///   - row: the subscriber's first word in `seen` (`row × wordsPerSubscriber`).
    ///   - highest: the subscriber's highest index so far, to detect reordering.
    @inline(__always)
    mutating func record(row: Int, index: Int, sentAt: UInt64, now: UInt64, highest: inout Int) {
        if now >= windowStart, now < windowEnd { totals.framesInWindow += 1 }
        let k = index &- firstMeasured
        guard k >= 0, k < measuredCount else {
            // Warm-up messages only count towards throughput; an index beyond the
            // schedule was never sent by us.
            if k >= measuredCount { totals.unparsable += 1 }
            highest = max(highest, index)
            return
        }
        let word = seen + row + (k >> 6)
        let bit: UInt64 = 1 << UInt64(k & 63)
        if word.pointee & bit != 0 {
            totals.duplicates += 1
            return
        }
        word.pointee |= bit
        totals.unique += 1
        if index < highest { totals.outOfOrder += 1 } else { highest = index }
        totals.histogram.record(min(now &- min(sentAt, now), ReceiveTotals.highestLatency))
    }

    /// Records the benchmark message `payload` of one frame or packet, or counts it
    /// as unparsable; every wire protocol's receive path ends here.
    @inline(__always)
    mutating func record(message payload: UnsafeRawBufferPointer, row: Int, now: UInt64, highest: inout Int) {
        if let (index, sentAt) = BenchMessage.scan(payload) {
            record(row: row, index: index, sentAt: sentAt, now: now, highest: &highest)
        } else {
            totals.unparsable += 1
        }
    }

    /// Records every complete WebSocket frame at the start of `bytes` (all received at `now`)
    /// and returns how many bytes they took. Control frames go to `control`.
    @inline(__always)
    mutating func ingest(
        _ bytes: UnsafeRawBufferPointer, maxFrameSize: Int, row: Int, now: UInt64, highest: inout Int,
        control: (WebSocketFrameScanner.Frame) -> Void
    ) throws(WebSocketFrameScanner.Failure) -> Int {
        try WebSocketFrameScanner.scan(bytes, maxFrameSize: maxFrameSize) { frame in
            switch frame.opcode {
            case 0x1, 0x2:
                // A fragmented message would lack the numbers; our messages are small
                // enough that no server fragments them.
                if frame.fin {
                    record(message: frame.payload, row: row, now: now, highest: &highest)
                } else {
                    totals.unparsable += 1
                }
            case 0x0:
                break  // continuation of a fragmented message, counted at its start
            default:
                control(frame)
            }
        }
    }
}
