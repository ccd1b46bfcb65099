/// The outcome of `fanin --search`, as printed with `--json`.
struct FaninSearchReport: Codable, Sendable {
    var publishers: Int
    var size: Int
    /// The highest total publish rate that passed (zero loss, p99 within the limit), if any.
    var maxRate: Double?
    /// Whether `maxRate` is only the search's ceiling (`--max-rate`), not the server's limit.
    var reachedCeiling = false
    /// Delivered (= committed) msgs/s at `maxRate`: the headline figure.
    var deliveredPerSecond: Double?
    /// The run at `maxRate`.
    var best: FaninResult?
    /// A fresh run at half of `maxRate`: latency at a load the server sustains comfortably.
    var half: FaninResult?
    /// Every run of the search, in order.
    var steps: [FaninResult] = []

    init(publishers: Int, size: Int, outcome: PassingRateSearch<FaninResult>.Outcome) {
        self.publishers = publishers
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
            return ["search: no rate passed (\(publishers) publishers); last: \(steps.last?.line ?? "no run")"]
        }
        var lines = ["max rate \(NumberFormat.rate(maxRate)) msg/s from \(publishers) publishers = \(NumberFormat.rate(best.deliveredPerSecond)) delivered (committed) msgs/s"
                     + (reachedCeiling ? " (the --max-rate ceiling; the server may do more)" : ""),
                     "  at max:  \(best.line)"]
        if let half { lines.append("  at half: \(half.line)") }
        return lines
    }
}
