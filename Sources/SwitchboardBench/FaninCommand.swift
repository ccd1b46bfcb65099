import ArgumentParser
import NIOCore
import NIOPosix

/// `bench fanin`: P publishers, each on its own topic, one subscriber to all of
/// them; an open-loop schedule over all publishers; reports delivered (on
/// Switchboard: committed) msgs/s, exact loss and intended-time latency.
struct FaninCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fanin",
        abstract: "Open-loop WebSocket fan-in benchmark: P publishers → 1 subscriber.",
        discussion: """
            Message i of the schedule is due at start + i / rate and is sent by publisher i % P, as a \
            text frame {"i":<index>,"t":<intended send time>,"p":"…"}; every millisecond each publisher \
            with due messages gets one write and one flush. Publisher k connects to --pub-url with {n} \
            replaced by k (its own topic); the subscriber to --sub-url, a pattern matching all of them. \
            Switchboard commits every message before any subscriber sees it, so delivered msgs/s are \
            committed msgs/s. Latency is receive time minus intended send time; the warm-up is not \
            measured. With --search, finds the highest total rate with zero loss and p99 within \
            --p99-limit-ms, then measures at half that rate.
            """
    )

    @Option(name: .customLong("pub-url"), help: "WebSocket URL of publisher n; {n} is replaced by n (0 …).")
    var pubURL = "ws://127.0.0.1:8080/ws/pub/bench/in/{n}"

    @Option(name: .customLong("sub-url"), help: "WebSocket URL of the subscriber (a pattern matching every publisher's topic).")
    var subURL = "ws://127.0.0.1:8080/ws/sub/bench/in/%23?format=data"

    @Option(help: "Number of publisher connections.")
    var publishers = 1000

    @Option(help: "Total publish rate over all publishers, messages per second (ignored by --search).")
    var rate: Double = 100_000

    @Option(help: "Measured seconds per run, after the warm-up.")
    var duration: Double = 10

    @Option(help: "Seconds of warm-up per run, sent but not measured.")
    var warmup: Double = 2

    @Option(help: "Seconds to wait after the last message before a missing one counts as lost.")
    var drain: Double = 2

    @Option(help: "Message size in bytes.")
    var size = 200

    @Flag(help: "Search the highest total rate with zero loss and p99 within the limit.")
    var search = false

    @Option(name: .customLong("start-rate"), help: "First total rate of the search.")
    var startRate: Double = 20_000

    @Option(name: .customLong("max-rate"), help: "Highest total rate the search tries.")
    var maxRate: Double = 2_000_000

    @Option(name: .customLong("bisect-steps"), help: "Bisection runs after the search has bracketed the limit.")
    var bisectSteps = 4

    @Option(name: .customLong("p99-limit-ms"), help: "Pass criterion: p99 latency at most this.")
    var p99LimitMs: Double = 100

    @Option(help: "Seconds between the runs of a search.")
    var pause: Double = 1

    @Option(name: .customLong("source-addresses"), help: "Bind client sockets to 127.0.0.1 … 127.0.0.N in turn (loopback servers only; 0: do not bind).")
    var sourceAddresses = 16

    @Option(name: .customLong("connect-timeout"), help: "Seconds allowed for each connection's TCP connect and upgrade.")
    var connectTimeout: Double = 10

    @Option(name: .customLong("connect-parallelism"), help: "Connections opened at once.")
    var connectParallelism = 64

    @Option(help: "Process id of the server (optional): reports its CPU use, and waits before each run until it is idle, so that a backlog left by a failed run does not fail the next.")
    var pid: Int32?

    @Flag(help: "Print the result as a JSON object.")
    var json = false

    func validate() throws {
        guard publishers >= 1, publishers <= 100_000 else { throw ValidationError("--publishers must be 1…100000") }
        guard rate > 0, maxRate > 0, startRate > 0 else { throw ValidationError("rates must be positive") }
        guard duration > 0, duration <= 3600, warmup >= 0, warmup <= 600, drain >= 0, drain <= 600 else {
            throw ValidationError("--duration must be in (0, 3600], --warmup and --drain in [0, 600]")
        }
        guard size >= 1, size <= 1 << 20 else { throw ValidationError("--size must be 1…1048576") }
        guard connectTimeout > 0, connectParallelism >= 1, pause >= 0, bisectSteps >= 0, bisectSteps <= 20 else {
            throw ValidationError("invalid connection or search option")
        }
        // One bit per measured message; the whole schedule is held by nobody, but keep it sane.
        guard (search ? maxRate : rate) * duration <= 8e9 else { throw ValidationError("rate × duration is too large") }
        _ = try NumberedWebSocketURL(pubURL)
        _ = try WebSocketURL(subURL)
    }

    func run() async throws {
        FileDescriptorLimit.raiseToHardLimit()
        let settings = FaninSettings(
            pubURL: try NumberedWebSocketURL(pubURL), subURL: try WebSocketURL(subURL), publishers: publishers,
            duration: duration, warmup: warmup, drain: drain, size: size, sourceAddresses: sourceAddresses,
            connectTimeout: connectTimeout, connectParallelism: connectParallelism, p99LimitMs: p99LimitMs, serverPID: pid)
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let succeeded: Bool
        if search {
            let searcher = PassingRateSearch<FaninResult>(
                startRate: startRate, maxRate: maxRate, bisectSteps: bisectSteps, pause: pause)
            let outcome = await searcher.run { rate in
                await FaninRun(settings: settings, rate: rate, group: group).run()
            } progress: { BenchOutput.progress($0) }
            let report = FaninSearchReport(publishers: publishers, size: size, outcome: outcome)
            if json { print(try BenchOutput.json(report)) } else { report.lines.forEach { print($0) } }
            succeeded = report.best != nil
        } else {
            let result = await FaninRun(settings: settings, rate: rate, group: group).run()
            print(json ? try BenchOutput.json(result) : result.line)
            succeeded = result.failure == nil
        }
        try await group.shutdownGracefully()
        if !succeeded { throw ExitCode(1) }
    }
}
