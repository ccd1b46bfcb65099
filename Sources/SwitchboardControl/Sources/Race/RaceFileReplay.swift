import Foundation
import SwitchboardCore
import SwitchboardRace

/// A `race` source's `file` mode: a capture played at its own pace (times `speed`), or a stream
/// or hex dump whose snapshots come `interval_ms` apart.
struct RaceFileReplay {
    let path: String
    let port: UInt16?
    let speed: Double
    let maxGapMs: Int
    let intervalMs: Int

    static let maxFileBytes = 1 << 30

    /// Plays the file; `true` when it reached the end (then the source stops), `false` on failure or cancellation.
    func run(context: SourceContext, publisher: RacePublisher) async -> Bool {
        let contents: RaceInput.Contents
        do {
            let size = (try FileManager.default.attributesOfItem(atPath: self.path)[.size] as? NSNumber)?.intValue ?? 0
            guard size <= Self.maxFileBytes else {
                context.report(.failed("\(self.path) is over \(Self.maxFileBytes >> 20) MiB"))
                return false
            }
            contents = try RaceInput.contents(of: [UInt8](try Data(contentsOf: URL(fileURLWithPath: self.path))))
        } catch {
            context.report(.failed("cannot read \(self.path): \(error)"))
            return false
        }
        do {
            switch contents {
            case .frames(let frames):
                var decoder = CaptureDecoder(port: self.port)
                var previous: Double?
                for frame in frames {
                    if let timestamp = frame.timestamp {
                        if let previous { try await self.pause(seconds: timestamp - previous) }
                        previous = timestamp
                    }
                    publisher.submit(decoder.add(frame))
                }
                publisher.submit(decoder.finish())
            case .stream(let bytes):
                var decoder = StandingsDecoder()
                var snapshots = decoder.feed(bytes)
                snapshots += decoder.finish()
                for (index, snapshot) in snapshots.enumerated() {
                    if index > 0 { try await self.pause(seconds: Double(self.intervalMs) / 1000) }
                    publisher.submit([snapshot])
                }
            }
        } catch {
            return false  // cancelled
        }
        return true
    }

    func pause(seconds: Double) async throws {
        let milliseconds = min(max(0, seconds * 1000), Double(self.maxGapMs)) / self.speed
        if milliseconds >= 1 { try await Task.sleep(for: .milliseconds(milliseconds)) } else { try Task.checkCancellation() }
    }
}
