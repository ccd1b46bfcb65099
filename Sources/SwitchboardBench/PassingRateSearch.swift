/// A run at one rate, as a rate search sees it.
protocol RateSearchStep: Sendable {
    /// The rate the run's schedule asked for.
    var targetRate: Double { get }
    /// Whether the run met the pass criterion.
    var passed: Bool { get }
    /// Why the run produced no figures at all (connect failed, server stopped).
    var failure: String? { get }
    /// One human-readable line.
    var line: String { get }
}

/// The rate search of `fanout --search` and `fanin --search`: doubles from
/// `startRate` until a run fails (or halves until one passes), bisects between
/// the last pass and the first failure, then measures once more at half the
/// found rate. Every step is a fresh run; the number of steps is bounded.
struct PassingRateSearch<Step: RateSearchStep> {
    let startRate: Double
    let maxRate: Double
    let bisectSteps: Int
    /// Seconds between runs, for the server to let go of the previous run's connections.
    let pause: Double

    /// At most this many doublings or halvings before bisecting.
    static var maxScalingSteps: Int { 16 }

    /// What the search found.
    struct Outcome {
        /// The passing run at the highest rate, if any passed.
        var best: Step?
        /// The run at half of `best`'s rate.
        var half: Step?
        /// Whether `best` is at `maxRate`, so that the server may sustain more.
        var reachedCeiling = false
        /// Every run, in order.
        var steps: [Step] = []
    }

    func run(measure: (Double) async -> Step, progress: (String) -> Void) async -> Outcome {
        var outcome = Outcome()
        var passed: Step?
        var failedRate: Double?

        func step(_ rate: Double, _ phase: String) async -> Step {
            if !outcome.steps.isEmpty { try? await Task.sleep(for: .milliseconds(Int(pause * 1000))) }
            let result = await measure(rate)
            outcome.steps.append(result)
            progress("[\(phase) \(outcome.steps.count)] \(result.line)")
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

        guard let best = passed else { return outcome }
        outcome.best = best
        outcome.reachedCeiling = best.targetRate >= maxRate
        outcome.half = await step(best.targetRate / 2, "half")
        return outcome
    }
}
