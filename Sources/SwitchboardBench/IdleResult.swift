/// The figures of one `bench idle` run, as printed with `--json`.
struct IdleResult: Codable, Sendable {
    var connections: Int
    /// Connections whose upgrade completed.
    var opened = 0
    var failed = 0
    var firstFailure: String?
    var connectSeconds: Double = 0
    /// The server's resident set size (`VmRSS`) before connecting and once all were
    /// connected and settled, KiB; nil without `--pid`.
    var rssBeforeKiB: Int?
    var rssAfterKiB: Int?
    /// `(rssAfter − rssBefore) / opened`: the headline figure.
    var kibPerConnection: Double?
    /// The server's open file descriptors at the same two moments, if readable.
    var fdsBefore: Int?
    var fdsAfter: Int?
    /// The load generator's own resident set size with all connections open, KiB.
    var clientRSSKiB: Int?
    /// Seconds the connections were held with pings after measuring, and the ping interval.
    var holdSeconds: Double = 0
    var pingIntervalSeconds: Double = 0
    var pingsSent = 0
    var pongs = 0
    var pongsMissing = 0
    var latePongs = 0
    var pingRoundTrip = LatencySummary()
    /// Frames the server sent (an idle subscriber should receive none).
    var framesReceived = 0
    /// Connections the server closed while we held them.
    var closedByServer = 0
    /// The server's resident set size at the end of the hold, KiB.
    var rssAfterHoldKiB: Int?
    /// Closing them all: how many, how long, how many forced after the timeout.
    var closing = 0
    var closeSeconds: Double = 0
    var closeForced = 0
    /// The server's resident set size after all were closed and it settled again, KiB.
    var rssAfterCloseKiB: Int?
    /// Why the run could not be made at all.
    var failure: String?
    /// Every connection opened and held, every ping answered.
    var passed = false

    /// One human-readable line.
    var line: String {
        let head = "idle \(connections) connections:"
        if let failure { return "\(head) FAILED: \(failure)" }
        var text = "\(head) \(opened) open in \(NumberFormat.milliseconds(connectSeconds)) s"
        if failed > 0 { text += ", \(failed) failed (first: \(firstFailure ?? "?"))" }
        if let before = rssBeforeKiB, let after = rssAfterKiB, let perConnection = kibPerConnection {
            text += "; server RSS \(Self.mebibytes(before)) → \(Self.mebibytes(after)) MiB"
                + " = \(NumberFormat.milliseconds(perConnection)) KiB per connection"
        }
        if let before = fdsBefore, let after = fdsAfter { text += ", fds \(before) → \(after)" }
        if let client = clientRSSKiB { text += "; client RSS \(Self.mebibytes(client)) MiB" }
        if holdSeconds > 0 {
            text += "; held \(NumberFormat.rate(holdSeconds)) s, a ping every \(NumberFormat.rate(pingIntervalSeconds)) s:"
                + " \(pingsSent) pings, \(pongs) pongs, \(pongsMissing) missing, \(latePongs) late, rtt ms \(pingRoundTrip.text)"
            if let hold = rssAfterHoldKiB { text += ", server RSS then \(Self.mebibytes(hold)) MiB" }
        }
        if framesReceived > 0 { text += "; \(framesReceived) unexpected frames" }
        text += "; \(closedByServer) closed by the server; closed \(closing) in \(NumberFormat.milliseconds(closeSeconds)) s (\(closeForced) forced)"
        if let closed = rssAfterCloseKiB { text += ", server RSS after close \(Self.mebibytes(closed)) MiB" }
        return text + (passed ? " — pass" : " — FAIL")
    }

    private static func mebibytes(_ kib: Int) -> String {
        String(Double((kib * 10 + 512) / 1024) / 10)
    }
}
