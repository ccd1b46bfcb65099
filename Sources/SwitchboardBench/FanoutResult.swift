import Histogram

/// The figures of one fan-out run, as printed with `--json`.
struct FanoutResult: Codable, Sendable, RateSearchStep {
    /// Publish rate the schedule asked for, messages per second.
    var targetRate: Double
    var subscribers: Int
    var size: Int
    /// Messages actually written per second during the measured window.
    var publishRate: Double = 0
    /// Frames received per second by all subscribers together during the measured window.
    var deliveredPerSecond: Double = 0
    /// Measured messages × subscribers.
    var expected: Int = 0
    /// Distinct (subscriber, measured message) pairs received.
    var received: Int = 0
    var lost: Int = 0
    var duplicates: Int = 0
    var outOfOrder: Int = 0
    /// Frames that were not benchmark messages (or beyond the schedule).
    var unparsable: Int = 0
    /// Subscriber connections the server closed during the run.
    var dropped: Int = 0
    var p50Ms: Double = 0
    var p99Ms: Double = 0
    var p999Ms: Double = 0
    var maxMs: Double = 0
    /// The load generator's CPU time over wall time while publishing (1.0 = one core busy).
    var clientCPU: Double = 0
    /// The publisher's largest delay behind its own schedule.
    var publisherMaxLagMs: Double = 0
    /// Why the run produced no figures (connect failed, server hung, …).
    var failure: String?
    /// Zero loss, no drop, p99 within the limit, and no failure.
    var passed = false

    /// Takes over the receive figures of a run that measured `expected` deliveries
    /// over `duration` seconds.
    mutating func record(_ totals: ReceiveTotals, expected: Int, duration: Double) {
        deliveredPerSecond = Double(totals.framesInWindow) / duration
        self.expected = expected
        received = totals.unique
        lost = expected - totals.unique
        duplicates = totals.duplicates
        outOfOrder = totals.outOfOrder
        unparsable = totals.unparsable
        dropped = totals.dropped
        let histogram = totals.histogram
        guard histogram.totalCount > 0 else { return }
        func ms(_ ns: UInt64) -> Double { Double(ns) / 1e6 }
        p50Ms = ms(histogram.valueAtPercentile(50))
        p99Ms = ms(histogram.valueAtPercentile(99))
        p999Ms = ms(histogram.valueAtPercentile(99.9))
        maxMs = ms(histogram.max)
    }

    /// One human-readable line.
    var line: String {
        let head = "rate \(NumberFormat.rate(targetRate)) msg/s → \(subscribers) subs:"
        if let failure { return "\(head) FAILED: \(failure)" }
        var text = "\(head) published \(NumberFormat.rate(publishRate))/s, delivered \(NumberFormat.rate(deliveredPerSecond))/s,"
            + " lost \(lost)/\(expected)"
        if duplicates > 0 || outOfOrder > 0 || unparsable > 0 || dropped > 0 {
            text += " (dup \(duplicates), out of order \(outOfOrder), unparsable \(unparsable), dropped \(dropped))"
        }
        text += ", latency ms p50 \(NumberFormat.milliseconds(p50Ms)) p99 \(NumberFormat.milliseconds(p99Ms)) p99.9 \(NumberFormat.milliseconds(p999Ms)) max \(NumberFormat.milliseconds(maxMs))"
        text += ", client cpu \(Int((clientCPU * 100).rounded()))%"
        if clientCPU > 0.9 { text += " (load generator saturated: figures are a lower bound)" }
        return text + (passed ? " — pass" : " — FAIL")
    }
}
