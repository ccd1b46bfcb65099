/// Compact number formatting for the human-readable output (no Foundation formatters).
enum NumberFormat {
    /// A rate: whole numbers from 100 up, one decimal below (publish rates to a
    /// thousand subscribers are a few dozen per second).
    static func rate(_ value: Double) -> String {
        value >= 100 ? String(Int(value.rounded())) : String(Double(Int((value * 10).rounded())) / 10)
    }

    /// Milliseconds with three significant digits at most (two decimals below 10).
    static func milliseconds(_ value: Double) -> String {
        if value >= 100 { return String(Int(value.rounded())) }
        let scale = value >= 10 ? 10.0 : 100.0
        return String((value * scale).rounded() / scale)
    }
}
