/// The outcome of `fanout --search`, as printed with `--json`.
struct SearchReport: Codable, Sendable {
    var subscribers: Int
    var size: Int
    /// The highest publish rate that passed (zero loss, p99 within the limit), if any.
    var maxRate: Double?
    /// Whether `maxRate` is only the search's ceiling (`--max-rate`), not the server's limit.
    var reachedCeiling = false
    /// Delivered msgs/s at `maxRate`: the headline figure.
    var deliveredPerSecond: Double?
    /// The run at `maxRate`.
    var best: FanoutResult?
    /// A fresh run at half of `maxRate`: latency at a load the server sustains comfortably.
    var half: FanoutResult?
    /// Every run of the search, in order.
    var steps: [FanoutResult] = []

    init(subscribers: Int, size: Int, outcome: PassingRateSearch<FanoutResult>.Outcome) {
        self.subscribers = subscribers
        self.size = size
        maxRate = outcome.best?.targetRate
        reachedCeiling = outcome.reachedCeiling
        deliveredPerSecond = outcome.best?.deliveredPerSecond
        best = outcome.best
        half = outcome.half
        steps = outcome.steps
    }

    /// Human-readable summary lines.
    var lines: [String] {
        guard let best, let maxRate else {
            return ["search: no publish rate passed (\(subscribers) subscribers); last: \(steps.last?.line ?? "no run")"]
        }
        var lines = ["max rate \(NumberFormat.rate(maxRate)) msg/s to \(subscribers) subscribers = \(NumberFormat.rate(best.deliveredPerSecond)) delivered msgs/s"
                     + (reachedCeiling ? " (the --max-rate ceiling; the server may do more)" : ""),
                     "  at max:  \(best.line)"]
        if let half { lines.append("  at half: \(half.line)") }
        return lines
    }
}
