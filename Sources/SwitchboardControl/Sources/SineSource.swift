import Foundation
import SwitchboardCore

/// `sine`: several sine waves, one field each, for charts: `{"a":0.59,"b":-0.21}`.
///
/// Params: `rate_hz` (default 10, up to 1000) and `fields`, an object of field name →
/// `{"freq_hz":0.2,"amplitude":1,"offset":0,"phase":0}` (default fields `a` at 0.2 Hz and `b` at 0.5 Hz, amplitude 0.5).
struct SineSource: SourceDriver {
    struct Wave: Sendable {
        var name: String
        var frequencyHz: Double
        var amplitude: Double
        var offset: Double
        var phase: Double
    }

    let rateHz: Double
    let waves: [Wave]

    init(params: JSONValue) throws(HubError) {
        var params = try SourceParams(params, kind: "sine")
        self.rateHz = try params.number("rate_hz", default: 10, in: 0.001...1000)
        if let fields = params.raw("fields") {
            guard let members = fields.objectValue, !members.isEmpty, members.count <= 16 else {
                throw .badRequest("sine param 'fields' must be an object of 1 to 16 fields, e.g. {\"a\":{\"freq_hz\":0.2,\"amplitude\":1}}")
            }
            var waves: [Wave] = []
            for (name, spec) in members {
                guard !name.isEmpty else { throw .badRequest("sine param 'fields' has an empty field name") }
                var wave = try SourceParams(spec, kind: "sine field '\(name)'")
                waves.append(
                    Wave(
                        name: name,
                        frequencyHz: try wave.number("freq_hz", default: 0.2, in: 0...1000),
                        amplitude: try wave.number("amplitude", default: 1, in: -1e9...1e9),
                        offset: try wave.number("offset", default: 0, in: -1e9...1e9),
                        phase: try wave.number("phase", default: 0, in: -1000...1000)
                    )
                )
                try wave.rejectUnknown()
            }
            self.waves = waves
        } else {
            self.waves = [
                Wave(name: "a", frequencyHz: 0.2, amplitude: 1, offset: 0, phase: 0),
                Wave(name: "b", frequencyHz: 0.5, amplitude: 0.5, offset: 0, phase: 0),
            ]
        }
        try params.rejectUnknown()
    }

    func descriptor(title: String) -> JSONValue? {
        .descriptor(title: title, kind: "line", fields: self.waves.map(\.name))
    }

    func run(_ context: SourceContext) async {
        var pacer = Pacer(hz: self.rateHz)
        let origin = ContinuousClock.Instant.now
        while true {
            do { try await pacer.tick() } catch { return }
            let elapsed = ContinuousClock.Instant.now - origin
            let t = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            await context.publish(
                .object(
                    self.waves.map { wave in
                        (wave.name, .rounded(wave.offset + wave.amplitude * sin(2 * .pi * wave.frequencyHz * t + wave.phase)))
                    }
                )
            )
        }
    }
}
