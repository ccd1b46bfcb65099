import Foundation
import SwitchboardCore

/// `clock`: the current time at random intervals (seed 002, test 1): `{"ts":<epoch ms>,"iso":"<RFC 3339>"}`.
///
/// Params: `min_interval_ms` (default 200), `max_interval_ms` (default 2000), each 10 … 3,600,000.
struct ClockSource: SourceDriver {
    let minIntervalMs: Int
    let maxIntervalMs: Int

    init(params: JSONValue) throws(HubError) {
        var params = try SourceParams(params, kind: "clock")
        self.minIntervalMs = try params.optionalInteger("min_interval_ms", in: 10...3_600_000) ?? 200
        self.maxIntervalMs = try params.optionalInteger("max_interval_ms", in: 10...3_600_000) ?? max(2000, self.minIntervalMs)
        try params.rejectUnknown()
        guard self.minIntervalMs <= self.maxIntervalMs else {
            throw .badRequest("clock param 'min_interval_ms' (\(self.minIntervalMs)) must not exceed 'max_interval_ms' (\(self.maxIntervalMs))")
        }
    }

    func descriptor(title: String) -> JSONValue? {
        .descriptor(title: title, kind: "table", fields: ["ts", "iso"], window: 50)
    }

    func run(_ context: SourceContext) async {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        while !Task.isCancelled {
            do {
                try await Task.sleep(for: .milliseconds(Int.random(in: self.minIntervalMs...self.maxIntervalMs)))
            } catch {
                return
            }
            let now = Date()
            await context.publish(.object([("ts", .int(Int64(now.timeIntervalSince1970 * 1000))), ("iso", .string(formatter.string(from: now)))]))
        }
    }
}
