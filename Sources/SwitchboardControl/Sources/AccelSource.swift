import Foundation
import SwitchboardCore

/// `accel`: a 3-axis accelerometer with its own timestamp in each message (seed 002, test 8):
/// `{"t":<epoch ms>,"x":0.012,"y":-0.3,"z":0.98}` in g — a slow wobble plus gravity on z, with noise.
///
/// Params: `rate_hz` (default 10, up to 1000), `amplitude` (default 0.5 g), `noise` (default 0.02 g).
struct AccelSource: SourceDriver {
    let rateHz: Double
    let amplitude: Double
    let noise: Double

    init(params: JSONValue) throws(HubError) {
        var params = try SourceParams(params, kind: "accel")
        self.rateHz = try params.number("rate_hz", default: 10, in: 0.001...1000)
        self.amplitude = try params.number("amplitude", default: 0.5, in: 0...100)
        self.noise = try params.number("noise", default: 0.02, in: 0...100)
        try params.rejectUnknown()
    }

    func descriptor(title: String) -> JSONValue? {
        .descriptor(title: title, kind: "line", fields: ["x", "y", "z"], unit: "g")
    }

    func run(_ context: SourceContext) async {
        var pacer = Pacer(hz: self.rateHz)
        let origin = Date()
        while true {
            do { try await pacer.tick() } catch { return }
            let now = Date()
            let t = now.timeIntervalSince(origin)
            func jitter() -> Double { self.noise > 0 ? Double.random(in: -self.noise...self.noise) : 0 }
            await context.publish(
                .object([
                    ("t", .int(Int64(now.timeIntervalSince1970 * 1000))),
                    ("x", .rounded(self.amplitude * sin(2 * .pi * 0.5 * t) + jitter())),
                    ("y", .rounded(self.amplitude * cos(2 * .pi * 0.3 * t) + jitter())),
                    ("z", .rounded(1 + self.amplitude / 4 * sin(2 * .pi * 0.1 * t) + jitter())),
                ])
            )
        }
    }
}
