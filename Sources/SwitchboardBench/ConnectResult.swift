/// The figures of one `bench connect` run, as printed with `--json`.
struct ConnectResult: Codable, Sendable {
    /// Connections asked for, and how many were under way at most at once.
    var connections: Int
    var concurrency: Int
    /// Connections whose TCP connect and WebSocket upgrade completed.
    var opened = 0
    var failed = 0
    /// Why the first failed connection failed.
    var firstFailure: String?
    /// From the first connect until the last connection was up (or had failed).
    var seconds: Double = 0
    /// `opened / seconds`: the headline figure.
    var connectionsPerSecond: Double = 0
    /// Set-up time of each opened connection: TCP connect plus upgrade, as the client waits for it.
    var setup = LatencySummary()
    /// The load generator's CPU time over wall time while connecting (1.0 = one core busy).
    var clientCPU: Double = 0
    /// The server's CPU time over wall time while connecting, with `--pid`.
    var serverCPU: Double?
    /// Connections the server closed while we held them.
    var closedByServer = 0
    /// Closing them all with close frames: how many, how long, how many had to be forced.
    var closing = 0
    var closeSeconds: Double = 0
    var closesPerSecond: Double = 0
    var closeForced = 0
    /// Why the run could not be made at all.
    var failure: String?
    /// Every connection opened, none closed by the server.
    var passed = false

    /// One human-readable line.
    var line: String {
        let head = "connect \(connections) (\(concurrency) in flight):"
        if let failure { return "\(head) FAILED: \(failure)" }
        var text = "\(head) \(opened) opened in \(NumberFormat.milliseconds(seconds)) s = \(NumberFormat.rate(connectionsPerSecond))/s,"
            + " \(failed) failed\(firstFailure.map { " (first: \($0))" } ?? ""),"
            + " set-up ms \(setup.text), client cpu \(Int((clientCPU * 100).rounded()))%"
        if clientCPU > 0.9 { text += " (load generator saturated: figures are a lower bound)" }
        if let serverCPU { text += ", server cpu \(Int((serverCPU * 100).rounded()))%" }
        text += "; \(closedByServer) closed by the server; closed \(closing) in \(NumberFormat.milliseconds(closeSeconds)) s"
            + " = \(NumberFormat.rate(closesPerSecond))/s (\(closeForced) forced)"
        return text + (passed ? " — pass" : " — FAIL")
    }
}
