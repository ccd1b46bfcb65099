import Histogram

/// Percentiles of an HdrHistogram of nanoseconds, in milliseconds, as printed and encoded.
struct LatencySummary: Codable, Sendable {
    var count = 0
    var p50Ms: Double = 0
    var p99Ms: Double = 0
    var p999Ms: Double = 0
    var maxMs: Double = 0

    init() {}

    init(_ histogram: Histogram<UInt64>) {
        count = Int(histogram.totalCount)
        guard count > 0 else { return }
        func ms(_ ns: UInt64) -> Double { Double(ns) / 1e6 }
        p50Ms = ms(histogram.valueAtPercentile(50))
        p99Ms = ms(histogram.valueAtPercentile(99))
        p999Ms = ms(histogram.valueAtPercentile(99.9))
        maxMs = ms(histogram.max)
    }

    /// An empty histogram of nanoseconds like the fan-out's: 1 µs resolution, three
    /// significant digits, up to `ReceiveTotals.highestLatency`.
    static func makeHistogram() -> Histogram<UInt64> {
        Histogram(lowestDiscernibleValue: 1_000, highestTrackableValue: ReceiveTotals.highestLatency, numberOfSignificantValueDigits: .three)
    }

    /// "p50 1.2 p99 3.4 max 5.6" (milliseconds).
    var text: String {
        "p50 \(NumberFormat.milliseconds(p50Ms)) p99 \(NumberFormat.milliseconds(p99Ms)) max \(NumberFormat.milliseconds(maxMs))"
    }
}
