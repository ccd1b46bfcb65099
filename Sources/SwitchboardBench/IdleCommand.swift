import ArgumentParser
import NIOCore
import NIOPosix

/// `bench idle`: how much server memory an idle WebSocket connection costs, and
/// whether the server keeps many of them alive.
struct IdleCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "idle",
        abstract: "Server memory per idle WebSocket connection; optionally holds them with pings.",
        discussion: """
            Reads the server's resident set size (VmRSS in /proc/<pid>/status) and open file \
            descriptors, opens --connections connections, waits --settle seconds, reads them again and \
            reports (after − before) / connections in KiB. With --hold, then keeps them open that long, \
            each connection sending a ping every --ping-interval seconds (spread evenly over the \
            interval) and expecting its pong within --pong-timeout; reports missing pongs and \
            connections the server closed. Raises its own open-file limit to the hard limit; client \
            sockets use source addresses 127.0.0.1 … 127.0.0.16 so that ephemeral ports do not run out.
            """
    )

    @Option(help: "WebSocket URL; {n} is replaced by the connection's number.")
    var url = "ws://127.0.0.1:8080/ws/sub/bench/idle/{n}?format=data"

    @Option(help: "Number of connections.")
    var connections = 1000

    @Option(help: "Process id of the server, whose memory is measured (without it: no memory figures).")
    var pid: Int32?

    @Option(help: "Seconds to wait before each memory reading.")
    var settle: Double = 3

    @Option(help: "Seconds to hold the connections with pings after measuring.")
    var hold: Double = 0

    @Option(name: .customLong("ping-interval"), help: "Seconds between two pings on one connection during the hold.")
    var pingInterval: Double = 30

    @Option(name: .customLong("pong-timeout"), help: "Seconds after which an unanswered ping counts as missing.")
    var pongTimeout: Double = 10

    @Option(help: "Connections opened at once.")
    var concurrency = 64

    @Option(name: .customLong("source-addresses"), help: "Bind client sockets to 127.0.0.1 … 127.0.0.N in turn (loopback servers only; 0: do not bind).")
    var sourceAddresses = 16

    @Option(name: .customLong("connect-timeout"), help: "Seconds allowed for each connection's TCP connect and upgrade.")
    var connectTimeout: Double = 10

    @Option(name: .customLong("close-timeout"), help: "Seconds the server has to answer the close frames before connections are closed by force.")
    var closeTimeout: Double = 10

    @Flag(help: "Print the result as a JSON object.")
    var json = false

    func validate() throws {
        guard connections >= 1, connections <= 1_000_000 else { throw ValidationError("--connections must be 1…1000000") }
        guard settle >= 0, settle <= 600, hold >= 0, hold <= 86_400 else { throw ValidationError("--settle must be 0…600, --hold 0…86400") }
        guard pingInterval >= 0.1, pingInterval <= 3600, pongTimeout > 0, pongTimeout <= pingInterval else {
            throw ValidationError("--ping-interval must be 0.1…3600, --pong-timeout in (0, ping interval]")
        }
        guard concurrency >= 1, connectTimeout > 0, closeTimeout > 0 else { throw ValidationError("invalid connection option") }
        _ = try NumberedWebSocketURL(url)
    }

    func run() async throws {
        if let limit = FileDescriptorLimit.raiseToHardLimit(), limit < connections + 64 {
            BenchOutput.progress("warning: this process may open \(limit) files; \(connections) connections will not fit")
        }
        let settings = IdleSettings(
            url: try NumberedWebSocketURL(url), connections: connections, serverPID: pid, settle: settle, hold: hold,
            pingInterval: pingInterval, pongTimeout: pongTimeout, concurrency: concurrency,
            sourceAddresses: sourceAddresses, connectTimeout: connectTimeout, closeTimeout: closeTimeout)
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let result = await IdleRun(settings: settings, group: group).run()
        print(json ? try BenchOutput.json(result) : result.line)
        try await group.shutdownGracefully()
        if result.failure != nil || result.opened == 0 { throw ExitCode(1) }
    }
}
