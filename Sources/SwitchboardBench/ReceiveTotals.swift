import Histogram

/// What subscribers received: per event loop while a run goes on, merged across
/// loops at its end.
struct ReceiveTotals: Sendable {
    /// Latency of the first receipt of each measured message, in nanoseconds.
    var histogram: Histogram<UInt64>
    /// Frames received while the measured window was open, whatever their index.
    var framesInWindow = 0
    /// Distinct (subscriber, measured message) pairs received.
    var unique = 0
    var duplicates = 0
    var outOfOrder = 0
    /// Frames that were not benchmark messages, or carried an index beyond the schedule.
    var unparsable = 0
    /// Subscriber connections the server closed during the run.
    var dropped = 0

    /// The highest latency the histogram resolves; later arrivals are recorded at this value.
    static let highestLatency: UInt64 = 120_000_000_000

    init() {
        // 1 µs resolution, three significant digits: about 200 KiB.
        histogram = Histogram(lowestDiscernibleValue: 1_000, highestTrackableValue: Self.highestLatency, numberOfSignificantValueDigits: .three)
    }

    mutating func merge(_ other: ReceiveTotals) {
        histogram.add(other.histogram)
        framesInWindow += other.framesInWindow
        unique += other.unique
        duplicates += other.duplicates
        outOfOrder += other.outOfOrder
        unparsable += other.unparsable
        dropped += other.dropped
    }
}
