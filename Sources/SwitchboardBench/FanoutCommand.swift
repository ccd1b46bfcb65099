import ArgumentParser
import Foundation
import NIOCore
import NIOPosix

/// `bench fanout`: one publisher, N subscribers, an open-loop publish schedule;
/// reports delivered msgs/s, exact loss and intended-time latency.
struct FanoutCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fanout",
        abstract: "Open-loop fan-out benchmark over WebSocket or MQTT: 1 publisher → N subscribers.",
        discussion: """
            The publisher sends text frames {"i":<index>,"t":<intended send time>,"p":"…"} on a fixed \
            schedule, never waiting for the server. Each subscriber must receive each message once; \
            latency is receive time minus intended send time. Messages of the warm-up are not measured. \
            With --search, finds the highest publish rate with zero loss and p99 within --p99-limit-ms, \
            then measures at half that rate. For a relay that broadcasts to everyone (the seed relay), \
            give the same URL for --pub-url and --sub-url; the publisher discards what it receives. \
            With mqtt://host:port/<topic> URLs the connections speak MQTT 3.1.1 over plain TCP instead: \
            the subscribers subscribe to the topic at QoS 0, the publisher sends each message as a QoS 0 PUBLISH.
            """
    )

    @Option(name: .customLong("pub-url"), help: "URL the publisher sends to: ws://… (WebSocket) or mqtt://host:port/<topic> (MQTT 3.1.1).")
    var pubURL = "ws://127.0.0.1:8080/ws/pub/bench/t"

    @Option(name: .customLong("sub-url"), help: "URL each subscriber connects to: ws://… or mqtt://host:port/<topic filter>; several, comma-separated, are taken in turn (one per cluster node).")
    var subURL = "ws://127.0.0.1:8080/ws/sub/bench/t?format=data"

    @Option(help: "Number of subscriber connections.")
    var subscribers = 100

    @Option(help: "Publish rate, messages per second (ignored by --search).")
    var rate: Double = 5000

    @Option(help: "Measured seconds per run, after the warm-up.")
    var duration: Double = 10

    @Option(help: "Seconds of warm-up per run, sent but not measured.")
    var warmup: Double = 2

    @Option(help: "Seconds to wait after the last message before a missing one counts as lost.")
    var drain: Double = 2

    @Option(help: "Message size in bytes.")
    var size = 200

    @Flag(help: "Search the highest publish rate with zero loss and p99 within the limit.")
    var search = false

    @Option(name: .customLong("start-rate"), help: "First publish rate of the search (default: 10000 / subscribers).")
    var startRate: Double?

    @Option(name: .customLong("max-rate"), help: "Highest publish rate the search tries.")
    var maxRate: Double = 10_000_000

    @Option(name: .customLong("bisect-steps"), help: "Bisection runs after the search has bracketed the limit.")
    var bisectSteps = 4

    @Option(name: .customLong("p99-limit-ms"), help: "Pass criterion of the search: p99 latency at most this.")
    var p99LimitMs: Double = 100

    @Option(help: "Seconds between the runs of a search.")
    var pause: Double = 1

    @Option(help: "Event loop threads of the load generator.")
    var threads = 1

    @Option(name: .customLong("source-addresses"), help: "Bind client sockets to 127.0.0.1 … 127.0.0.N in turn (loopback servers only; 0: do not bind).")
    var sourceAddresses = 16

    @Option(name: .customLong("connect-timeout"), help: "Seconds allowed for each connection's TCP connect and its WebSocket upgrade or MQTT handshake.")
    var connectTimeout: Double = 10

    @Option(name: .customLong("connect-parallelism"), help: "Connections opened at once.")
    var connectParallelism = 64

    @Flag(help: "Print the result as a JSON object.")
    var json = false

    func validate() throws {
        guard subscribers >= 1, subscribers <= 100_000 else { throw ValidationError("--subscribers must be 1…100000") }
        guard rate > 0, maxRate > 0, (startRate ?? 1) > 0 else { throw ValidationError("rates must be positive") }
        guard duration > 0, duration <= 3600, warmup >= 0, warmup <= 600, drain >= 0, drain <= 600 else {
            throw ValidationError("--duration must be in (0, 3600], --warmup and --drain in [0, 600]")
        }
        guard size >= 1, size <= 1 << 20 else { throw ValidationError("--size must be 1…1048576") }
        guard threads >= 1, threads <= 64 else { throw ValidationError("--threads must be 1…64") }
        guard connectTimeout > 0, connectParallelism >= 1, pause >= 0, bisectSteps >= 0, bisectSteps <= 20 else {
            throw ValidationError("invalid connection or search option")
        }
        // The receive bitmap holds one bit per subscriber and measured message.
        let bits = (search ? maxRate : rate) * duration * Double(subscribers)
        guard search || bits <= 8e9 else { throw ValidationError("rate × duration × subscribers is too large") }
        _ = try ServerURL(pubURL)
        _ = try subURLs()
    }

    /// `--sub-url` split at commas.
    func subURLs() throws -> [ServerURL] {
        try subURL.split(separator: ",").map { try ServerURL(String($0)) }
    }

    func run() async throws {
        let settings = FanoutSettings(
            pubURL: try ServerURL(pubURL), subURLs: try subURLs(), subscribers: subscribers,
            duration: duration, warmup: warmup, drain: drain, size: size, threads: threads,
            sourceAddresses: sourceAddresses, connectTimeout: connectTimeout,
            connectParallelism: connectParallelism, p99LimitMs: p99LimitMs)
        let group = MultiThreadedEventLoopGroup(numberOfThreads: threads)
        let succeeded: Bool
        if search {
            let searcher = PassingRateSearch<FanoutResult>(
                startRate: startRate ?? max(1, 10_000 / Double(subscribers)), maxRate: maxRate, bisectSteps: bisectSteps,
                pause: pause)
            let outcome = await searcher.run { rate in
                await FanoutRun(settings: settings, rate: rate, group: group).run()
            } progress: { Self.printError($0) }
            let report = SearchReport(subscribers: subscribers, size: size, outcome: outcome)
            if json { print(try Self.encode(report)) } else { report.lines.forEach { print($0) } }
            succeeded = report.best != nil
        } else {
            let result = await FanoutRun(settings: settings, rate: rate, group: group).run()
            print(json ? try Self.encode(result) : result.line)
            succeeded = result.failure == nil
        }
        try await group.shutdownGracefully()
        if !succeeded { throw ExitCode(1) }
    }

    private static func encode(some value: some Encodable) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    private static func encode(_ value: some Encodable) throws -> String { try encode(some: value) }

    private static func printError(_ line: String) {
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }
}
