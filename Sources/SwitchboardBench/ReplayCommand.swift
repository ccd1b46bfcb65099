import ArgumentParser
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix

/// `bench replay`: fills a topic with N messages, then measures how fast a client
/// that reconnects with `since` N messages back receives all of them.
struct ReplayCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Replay benchmark: a subscriber reconnects with since=0 on a topic of N stored messages.",
        discussion: """
            First publishes --messages messages to a fresh topic over HTTP (NDJSON, --chunk per request; \
            each request is answered after its messages are committed). Then, --runs times, opens \
            /ws/sub/<topic>?since=0&format=<--format> and times from the start of the TCP connect to the last \
            message. Every message must arrive once and in order (each carries its index), else the run fails.
            """
    )

    @Option(help: "The hub's base URL.")
    var url = "ws://127.0.0.1:8080"

    @Option(help: "Topic to fill and replay (default: a fresh bench/replay/<random>).")
    var topic: String?

    @Option(help: "Messages to store and replay.")
    var messages = 1_000_000

    @Option(help: "Message size in bytes.")
    var size = 200

    @Option(help: "Messages per HTTP request while filling.")
    var chunk = 10_000

    @Flag(name: .customLong("skip-fill"), help: "The topic already holds --messages messages from an earlier fill.")
    var skipFill = false

    @Option(help: "What the subscriber asks for: envelope (the default of /ws/sub) or data (?format=data).")
    var format = "envelope"

    @Option(help: "Replays to measure.")
    var runs = 3

    @Option(help: "Seconds allowed for one replay.")
    var timeout: Double = 120

    @Flag(help: "Print the result as a JSON object.")
    var json = false

    func validate() throws {
        guard messages >= 1, messages <= 100_000_000 else { throw ValidationError("--messages must be 1…100000000") }
        guard size >= 40, size <= 1 << 16 else { throw ValidationError("--size must be 40…65536") }
        guard format == "envelope" || format == "data" else { throw ValidationError("--format is envelope or data") }
        guard chunk >= 1, runs >= 1, runs <= 100, timeout > 0 else { throw ValidationError("invalid --chunk, --runs or --timeout") }
        _ = try WebSocketURL(url)
    }

    func run() async throws {
        let base = try WebSocketURL(url)
        let topic = self.topic ?? "bench/replay/\(UInt32.random(in: 0...UInt32.max))"
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        var fill: FillResult?
        if !skipFill {
            fill = try await Self.fill(base: base, topic: topic, messages: messages, size: size, chunk: chunk,
                                       on: group.next()) { line in if !json { print(line) } }
        }
        let replayURL = try WebSocketURL("ws://\(base.hostHeader)/ws/sub/\(topic)?since=0&format=\(format)")
        var results: [ReplayRun.Result] = []
        for number in 1...runs {
            let result = await ReplayRun(url: replayURL, expected: messages, timeout: .milliseconds(Int64(timeout * 1000)))
                .run(on: group.next())
            if !json { print("replay \(number)/\(runs): \(result.line)") }
            results.append(result)
        }
        try await group.shutdownGracefully()
        let report = ReplayReport(topic: topic, messages: messages, size: size, format: format, fill: fill, runs: results)
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            print(String(decoding: try encoder.encode(report), as: UTF8.self))
        } else {
            print("median: \(NumberFormat.rate(report.medianMessagesPerSecond)) msgs/s")
        }
        if results.contains(where: { $0.failure != nil }) { throw ExitCode(1) }
    }

    struct FillResult: Codable {
        let seconds: Double
        let messagesPerSecond: Double
    }

    /// Publishes `messages` messages, `chunk` per NDJSON request, one request at a time.
    static func fill(
        base: WebSocketURL, topic: String, messages: Int, size: Int, chunk: Int, on eventLoop: any EventLoop,
        progress: (String) -> Void
    ) async throws -> FillResult {
        let started = NIODeadline.now()
        var sent = 0
        var lastReport = started
        while sent < messages {
            let count = min(chunk, messages - sent)
            var body = ByteBuffer()
            body.reserveCapacity(count * (size + 1))
            for index in sent..<sent + count {
                BenchMessage.write(index: index, intendedTime: 0, size: size, into: &body)
                body.writeStaticString("\n")
            }
            let response = try await HTTPPost.send(
                host: base.host, port: base.port, path: "/api/v1/publish/\(topic)", contentType: "application/x-ndjson",
                body: body, on: eventLoop, timeout: .seconds(60))
            guard response.status == .ok || response.status == .created || response.status == .accepted else {
                throw BenchError.fillFailed("POST /api/v1/publish/\(topic) answered \(response.status.code): \(response.body.prefix(200))")
            }
            sent += count
            let now = NIODeadline.now()
            if now - lastReport >= .seconds(2) || sent == messages {
                lastReport = now
                progress("filled \(sent)/\(messages) messages")
            }
        }
        let seconds = Double((NIODeadline.now() - started).nanoseconds) / 1e9
        return FillResult(seconds: seconds, messagesPerSecond: Double(messages) / seconds)
    }
}

/// Everything `bench replay` measured.
struct ReplayReport: Encodable {
    let topic: String
    let messages: Int
    let size: Int
    let format: String
    let fill: ReplayCommand.FillResult?
    let runs: [ReplayRun.Result]

    /// Median over the runs that received everything (0 if none did).
    var medianMessagesPerSecond: Double {
        let rates = runs.filter { $0.failure == nil }.map(\.messagesPerSecond).sorted()
        return rates.isEmpty ? 0 : rates[rates.count / 2]
    }

    enum CodingKeys: String, CodingKey { case topic, messages, size, format, fill, runs, medianMessagesPerSecond }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(topic, forKey: .topic)
        try container.encode(messages, forKey: .messages)
        try container.encode(size, forKey: .size)
        try container.encode(format, forKey: .format)
        try container.encodeIfPresent(fill, forKey: .fill)
        try container.encode(runs, forKey: .runs)
        try container.encode(medianMessagesPerSecond, forKey: .medianMessagesPerSecond)
    }
}
