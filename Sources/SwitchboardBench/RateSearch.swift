import NIOPosix

/// Finds the highest publish rate a server sustains: zero loss and p99 within the
/// limit. Doubles from `startRate` until a run fails (or halves until one passes),
/// then bisects between the last pass and the first failure, then measures once
/// more at half the found rate. Every step is a fresh run; the number of steps is bounded.
struct RateSearch {
    let settings: FanoutSettings
    let group: MultiThreadedEventLoopGroup
    let startRate: Double
    let maxRate: Double
    let bisectSteps: Int
    /// Seconds between runs, for the server to let go of the previous run's connections.
    let pause: Double

    /// At most this many doublings or halvings before bisecting.
    static let maxScalingSteps = 16

    func run(progress: (String) -> Void) async -> SearchReport {
        var report = SearchReport(subscribers: settings.subscribers, size: settings.size)
        var passed: FanoutResult?
        var failedRate: Double?

        func step(_ rate: Double, _ phase: String) async -> FanoutResult {
            if !report.steps.isEmpty { try? await Task.sleep(for: .milliseconds(Int(pause * 1000))) }
            let result = await FanoutRun(settings: settings, rate: rate, group: group).run()
            report.steps.append(result)
            progress("[\(phase) \(report.steps.count)] \(result.line)")
            return result
        }

        var rate = min(startRate, maxRate)
        for _ in 0..<Self.maxScalingSteps {
            let result = await step(rate, "scan")
            if result.passed {
                passed = result
                if failedRate != nil || rate >= maxRate { break }
                rate = min(rate * 2, maxRate)
            } else {
                failedRate = rate
                // A server that is down fails every rate; do not keep trying.
                if passed != nil || result.failure != nil || rate / 2 < 0.5 { break }
                rate /= 2
            }
        }

        if let low = passed?.targetRate, let high = failedRate, low < high {
            var (low, high) = (low, high)
            for _ in 0..<bisectSteps where (high - low) / low > 0.02 {
                let result = await step((low + high) / 2, "bisect")
                if result.passed { passed = result; low = result.targetRate } else { high = result.targetRate }
            }
        }

        guard let best = passed else { return report }
        report.maxRate = best.targetRate
        report.reachedCeiling = best.targetRate >= maxRate
        report.deliveredPerSecond = best.deliveredPerSecond
        report.best = best
        report.half = await step(best.targetRate / 2, "half")
        return report
    }
}
