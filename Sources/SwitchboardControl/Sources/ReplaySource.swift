import Foundation
import Logging
import NIOCore
import SwitchboardCore

/// `replay`: plays a stored topic (`from_topic`) or an NDJSON file (`file`) into the source's
/// topic, with the original gaps between messages divided by `speed`, once or in a `loop`.
/// A replay that reached its end without `loop` is `stopped`.
///
/// Params: `from_topic` or `file` (one of them); `speed` (default 1: real time; 10: ten times
/// faster; up to 10000); `loop` (default false); `max_gap_ms` (longest pause, default 10000);
/// `interval_ms` (the gap for file lines without a `ts`, default 1000). A file line is an
/// envelope as `switchboard export --format ndjson` writes it (its `data` and `ts` are used) or just data.
struct ReplaySource: SourceDriver {
    enum Origin: Sendable {
        case topic(Topic)
        case file(String)
    }

    let origin: Origin
    let speed: Double
    let loop: Bool
    let maxGapMs: Int
    let intervalMs: Int

    static let pageSize = 500
    static let maxFileBytes = 256 << 20

    init(params: JSONValue) throws(HubError) {
        var params = try SourceParams(params, kind: "replay")
        let fromTopic = try params.string("from_topic")
        let file = try params.string("file")
        switch (fromTopic, file) {
        case (let name?, nil):
            do {
                self.origin = .topic(try Topic(validating: name, allowSystem: true))
            } catch {
                throw .badRequest("replay param 'from_topic': \(error.message)")
            }
        case (nil, let path?):
            guard FileManager.default.isReadableFile(atPath: path) else {
                throw .badRequest("replay param 'file': \(path) is not a readable file")
            }
            self.origin = .file(path)
        case (nil, nil):
            throw .badRequest("replay needs param 'from_topic' (a stored topic) or 'file' (an NDJSON file)")
        case (.some, .some):
            throw .badRequest("replay takes 'from_topic' or 'file', not both")
        }
        self.speed = try params.number("speed", default: 1, in: 0.01...10_000)
        self.loop = try params.bool("loop", default: false)
        self.maxGapMs = try params.optionalInteger("max_gap_ms", in: 0...3_600_000) ?? 10_000
        self.intervalMs = try params.optionalInteger("interval_ms", in: 0...3_600_000) ?? 1000
        try params.rejectUnknown()
    }

    func check(topic: Topic) throws(HubError) {
        if case .topic(let from) = self.origin, from == topic {
            throw .badRequest("replay param 'from_topic' must differ from the source's topic '\(topic)': it would replay into itself")
        }
    }

    func descriptor(title: String) -> JSONValue? { nil }

    func descriptor(copiedFrom hub: Hub) -> String? {
        if case .topic(let from) = self.origin { return hub.descriptor(of: from) }
        return nil
    }

    func run(_ context: SourceContext) async {
        repeat {
            let played: Int
            do {
                switch self.origin {
                case .topic(let topic): played = try await self.playTopic(topic, context: context)
                case .file(let path): played = try await self.playFile(path, context: context)
                }
            } catch is CancellationError {
                return
            } catch {
                context.report(.failed("replay failed: \(error)"))
                return
            }
            if played == 0 {
                context.report(.failed("nothing to replay: \(self.originDescription) has no messages"))
                return
            }
        } while self.loop && !Task.isCancelled
        if !Task.isCancelled { context.report(.finished) }
    }

    var originDescription: String {
        switch self.origin {
        case .topic(let topic): "topic '\(topic)'"
        case .file(let path): "file \(path)"
        }
    }

    /// Waits the gap between two original timestamps, scaled by `speed` and capped at `max_gap_ms`.
    func pause(from previous: Int64?, to ts: Int64) async throws {
        guard let previous else { return }
        let scaled = min(Double(max(0, ts - previous)), Double(self.maxGapMs)) / self.speed
        if scaled >= 1 { try await Task.sleep(for: .milliseconds(scaled)) } else { try Task.checkCancellation() }
    }

    func playTopic(_ topic: Topic, context: SourceContext) async throws -> Int {
        // Up to what is stored now: a topic that grows while it is replayed does not make the pass endless.
        let end = context.hub.topicInfo(topic)?.lastSeq ?? 0
        var after: Int64 = 0
        var previousTs: Int64?
        var played = 0
        while after < end {
            let page = try context.hub.history(topic: topic, after: after, limit: Self.pageSize)
            guard !page.isEmpty else { break }
            for message in page where message.seq <= end {
                try await self.pause(from: previousTs, to: message.ts)
                previousTs = message.ts
                await context.publish(buffer: message.data)
                played += 1
            }
            after = page.last!.seq
        }
        return played
    }

    func playFile(_ path: String, context: SourceContext) async throws -> Int {
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        if let size = attributes[.size] as? Int, size > Self.maxFileBytes {
            throw HubError.tooLarge("\(path) is over \(Self.maxFileBytes >> 20) MiB")
        }
        let text = String(decoding: try Data(contentsOf: URL(fileURLWithPath: path)), as: UTF8.self)
        var previous: Int64?
        var played = 0
        for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: true).enumerated() {
            let value: JSONValue
            do {
                value = try JSONParser.parse(String(line))
            } catch {
                context.logger.error(
                    "replay file line is not JSON; skipped",
                    metadata: ["source": "\(context.name)", "line": "\(number + 1)", "file": "\(path)"]
                )
                continue
            }
            // An exported envelope: its own data and time; anything else is the data itself, `interval_ms` apart.
            let envelopeTs = value["data"] != nil ? value["ts"]?.int64Value : nil
            let data = envelopeTs != nil ? value["data"]! : value
            let ts = envelopeTs ?? previous.map { $0 + Int64(self.intervalMs) } ?? 0
            try await self.pause(from: previous, to: ts)
            previous = ts
            await context.publish(data)
            played += 1
        }
        return played
    }
}
