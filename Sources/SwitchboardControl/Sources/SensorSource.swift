import SwitchboardCore

/// `sensor`: a random walk with noise between bounds, like a temperature probe: `{"value":21.53,"unit":"°C"}`.
///
/// Params: `rate_hz` (default 1, up to 1000), `unit` (default none), `min`/`max` (default 0/100),
/// `start` (default the middle), `step` (largest drift per reading, default 1% of the range),
/// `noise` (extra jitter per reading, default 0.2% of the range).
struct SensorSource: SourceDriver {
    let rateHz: Double
    let unit: String?
    let min: Double
    let max: Double
    let start: Double
    let step: Double
    let noise: Double

    init(params: JSONValue) throws(HubError) {
        var params = try SourceParams(params, kind: "sensor")
        self.rateHz = try params.number("rate_hz", default: 1, in: 0.001...1000)
        self.unit = try params.string("unit")
        self.min = try params.number("min", default: 0, in: -1e12...1e12)
        self.max = try params.number("max", default: 100, in: -1e12...1e12)
        guard self.min < self.max else {
            throw .badRequest("sensor param 'min' (\(SourceParams.format(self.min))) must be below 'max' (\(SourceParams.format(self.max)))")
        }
        self.start = try params.number("start", default: (self.min + self.max) / 2, in: self.min...self.max)
        self.step = try params.number("step", default: (self.max - self.min) / 100, in: 0...(self.max - self.min))
        self.noise = try params.number("noise", default: (self.max - self.min) / 500, in: 0...(self.max - self.min))
        try params.rejectUnknown()
    }

    func descriptor(title: String) -> JSONValue? {
        .descriptor(title: title, kind: "line", fields: ["value"], unit: self.unit)
    }

    func run(_ context: SourceContext) async {
        var pacer = Pacer(hz: self.rateHz)
        var level = self.start
        while true {
            do { try await pacer.tick() } catch { return }
            level = Swift.min(self.max, Swift.max(self.min, level + Double.random(in: -self.step...self.step)))
            let reading = Swift.min(self.max, Swift.max(self.min, level + (self.noise > 0 ? Double.random(in: -self.noise...self.noise) : 0)))
            var data: [(String, JSONValue)] = [("value", .rounded(reading, places: 2))]
            if let unit = self.unit { data.append(("unit", .string(unit))) }
            await context.publish(.object(data))
        }
    }
}
