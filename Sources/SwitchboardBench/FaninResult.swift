/// The figures of one fan-in run, as printed with `--json`.
struct FaninResult: Codable, Sendable, RateSearchStep {
    /// Total publish rate the schedule asked for, messages per second over all publishers.
    var targetRate: Double
    var publishers: Int
    var size: Int
    /// Messages actually written per second during the measured window.
    var publishRate: Double = 0
    /// Messages the subscriber received per second during the measured window. On
    /// Switchboard every message is committed before it is delivered, so this is
    /// also committed messages per second.
    var deliveredPerSecond: Double = 0
    /// Measured messages.
    var expected: Int = 0
    /// Distinct measured messages received.
    var received: Int = 0
    var lost: Int = 0
    var duplicates: Int = 0
    /// Messages that arrived after one with a higher index. Expected in fan-in: the
    /// hub orders per topic, and each publisher has its own topic.
    var outOfOrder: Int = 0
    /// Frames that were not benchmark messages (or beyond the schedule).
    var unparsable: Int = 0
    /// Whether the server closed the subscriber's connection during the run.
    var subscriberDropped = false
    /// Publisher connections the server closed during the run.
    var publishersDropped: Int = 0
    /// Messages not sent because their publisher's connection had closed.
    var unsent: Int = 0
    /// Frames the server sent to the publishers, and how many of them were errors.
    var publisherFrames: Int = 0
    var publisherErrors: Int = 0
    /// The first error frame a publisher received, shortened.
    var firstError: String?
    var p50Ms: Double = 0
    var p99Ms: Double = 0
    var p999Ms: Double = 0
    var maxMs: Double = 0
    /// The load generator's CPU time over wall time while publishing (1.0 = one core busy).
    var clientCPU: Double = 0
    /// The server's CPU time over wall time while publishing, with `--pid`.
    var serverCPU: Double?
    /// The publishers' largest delay behind their own schedule.
    var publisherMaxLagMs: Double = 0
    /// Why the run produced no figures (connect failed, server hung, …).
    var failure: String?
    /// Zero loss, no error, no drop, p99 within the limit, and no failure.
    var passed = false

    /// Takes over the subscriber's figures for a run that measured `expected` messages over `duration` seconds.
    mutating func record(_ totals: ReceiveTotals, expected: Int, duration: Double) {
        deliveredPerSecond = Double(totals.framesInWindow) / duration
        self.expected = expected
        received = totals.unique
        lost = expected - totals.unique
        duplicates = totals.duplicates
        outOfOrder = totals.outOfOrder
        unparsable = totals.unparsable
        subscriberDropped = totals.dropped > 0
        let latency = LatencySummary(totals.histogram)
        p50Ms = latency.p50Ms
        p99Ms = latency.p99Ms
        p999Ms = latency.p999Ms
        maxMs = latency.maxMs
    }

    /// One human-readable line.
    var line: String {
        let head = "rate \(NumberFormat.rate(targetRate)) msg/s from \(publishers) pubs → 1 sub:"
        if let failure { return "\(head) FAILED: \(failure)" }
        var text = "\(head) published \(NumberFormat.rate(publishRate))/s, delivered \(NumberFormat.rate(deliveredPerSecond))/s,"
            + " lost \(lost)/\(expected)"
        if duplicates > 0 || unparsable > 0 || subscriberDropped || publishersDropped > 0 || unsent > 0 {
            text += " (dup \(duplicates), unparsable \(unparsable), subscriber dropped \(subscriberDropped ? "yes" : "no"),"
                + " publishers dropped \(publishersDropped), unsent \(unsent))"
        }
        if publisherFrames > 0 {
            text += ", \(publisherFrames) frames to publishers (\(publisherErrors) errors\(firstError.map { ": \($0)" } ?? ""))"
        }
        text += ", latency ms p50 \(NumberFormat.milliseconds(p50Ms)) p99 \(NumberFormat.milliseconds(p99Ms)) p99.9 \(NumberFormat.milliseconds(p999Ms)) max \(NumberFormat.milliseconds(maxMs))"
        text += ", client cpu \(Int((clientCPU * 100).rounded()))%"
        if let serverCPU { text += ", server cpu \(Int((serverCPU * 100).rounded()))%" }
        if clientCPU > 0.9 { text += " (load generator saturated: figures are a lower bound)" }
        return text + (passed ? " — pass" : " — FAIL")
    }
}
