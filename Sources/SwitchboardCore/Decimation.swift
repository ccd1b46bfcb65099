/// Reduces a series to at most `points` points per numeric field while
/// keeping every bucket's minimum and maximum — what a chart of a week of
/// data needs: the spikes survive, the flat stretches thin out.
///
/// The time range is cut into `points / (2 × fields)` equal buckets; in
/// each, for each numeric field, the messages holding the field's minimum and
/// maximum are kept. A message whose `data` is a number is the field `""`; an object
/// contributes each numeric top-level member. Messages with no numeric field
/// are dropped when decimating.
public enum Decimation {
    public static func decimate(_ messages: [Message], points: Int) -> [Message] {
        guard points > 0 else { return [] }
        let fields = messages.map(numericFields)
        let fieldNames = Set(fields.flatMap { $0.keys }).sorted()
        let perField = fieldNames.map { name in fields.reduce(0) { $0 + ($1[name] == nil ? 0 : 1) } }
        if perField.allSatisfy({ $0 <= points }) { return messages }
        // Min and max ts, not first and last: a clock stepping back must not break the bucketing.
        guard let minTs = messages.map(\.ts).min(), let maxTs = messages.map(\.ts).max() else { return messages }
        // Each bucket keeps at most 2 messages per field, and a kept message carries every field:
        // so buckets × 2 × fields ≤ points keeps every field within `points`.
        let buckets = max(1, points / (2 * max(1, fieldNames.count)))
        let span = maxTs - minTs + 1
        var keep = Set<Int>()
        var globalExtremes: [Int] = []
        for name in fieldNames {
            var extremes: [Int: (min: (Int, Double), max: (Int, Double))] = [:]
            for (index, message) in messages.enumerated() {
                guard let value = fields[index][name] else { continue }
                let bucket = Int((message.ts - minTs) * Int64(buckets) / span)
                if let current = extremes[bucket] {
                    extremes[bucket] = (
                        value < current.min.1 ? (index, value) : current.min,
                        value > current.max.1 ? (index, value) : current.max
                    )
                } else {
                    extremes[bucket] = ((index, value), (index, value))
                }
            }
            for (_, extreme) in extremes {
                keep.insert(extreme.min.0)
                keep.insert(extreme.max.0)
            }
            let all = extremes.values
            if let low = all.min(by: { $0.min.1 < $1.min.1 }) { globalExtremes.append(low.min.0) }
            if let high = all.max(by: { $0.max.1 < $1.max.1 }) { globalExtremes.append(high.max.0) }
        }
        if keep.count > points {
            // Fewer points than fields × 2: keep the global extremes that fit.
            keep = Set(globalExtremes.prefix(points))
        }
        return keep.sorted().map { messages[$0] }
    }

    /// The numeric fields of a message's data.
    public static func numericFields(_ message: Message) -> [String: Double] {
        guard let value = try? JSONParser.parse(message.data) else { return [:] }
        switch value {
        case .number:
            return value.doubleValue.map { ["": $0] } ?? [:]
        case .object(let members):
            var fields: [String: Double] = [:]
            for (key, member) in members {
                if let number = member.doubleValue { fields[key] = number }
            }
            return fields
        default:
            return [:]
        }
    }
}
