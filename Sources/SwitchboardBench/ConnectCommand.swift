import ArgumentParser

/// `bench connect`: how fast the server sets up WebSocket connections.
struct ConnectCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "connect",
        abstract: "WebSocket connection set-up rate: open N connections, K at a time, then close them all.",
        discussion: """
            Opens --connections connections (TCP connect and HTTP upgrade completed) as fast as the \
            server allows, with at most --concurrency under way at once, and reports completed \
            connections per second over the whole time, failures, and the set-up time of each \
            connection (p50/p99/max). Keeps them all open until the last is up, then closes them all \
            with close frames and reports how long that took. {n} in --url is replaced by the \
            connection's number.
            """
    )

    @Option(help: "WebSocket URL to connect to; {n} is replaced by the connection's number.")
    var url = "ws://127.0.0.1:8080/ws/sub/bench/connect?format=data"

    @Option(help: "Number of connections.")
    var connections = 5000

    @Option(help: "Connections under way (connecting or upgrading) at once.")
    var concurrency = 64

    @Option(name: .customLong("source-addresses"), help: "Bind client sockets to 127.0.0.1 … 127.0.0.N in turn (loopback servers only; 0: do not bind).")
    var sourceAddresses = 16

    @Option(name: .customLong("connect-timeout"), help: "Seconds allowed for each connection's TCP connect and upgrade.")
    var connectTimeout: Double = 10

    @Option(name: .customLong("max-failures"), help: "Stop opening connections after this many have failed.")
    var maxFailures = 100

    @Option(name: .customLong("close-timeout"), help: "Seconds the server has to answer the close frames before connections are closed by force.")
    var closeTimeout: Double = 10

    @Option(help: "Process id of the server (optional), to report its CPU use while connecting.")
    var pid: Int32?

    @Flag(help: "Print the result as a JSON object.")
    var json = false

    func validate() throws {
        guard connections >= 1, connections <= 1_000_000 else { throw ValidationError("--connections must be 1…1000000") }
        guard concurrency >= 1, concurrency <= 10_000 else { throw ValidationError("--concurrency must be 1…10000") }
        guard connectTimeout > 0, connectTimeout <= 600, closeTimeout > 0, closeTimeout <= 600, maxFailures >= 1 else {
            throw ValidationError("timeouts must be in (0, 600], --max-failures at least 1")
        }
        _ = try NumberedWebSocketURL(url)
    }

    func run() async throws {
        if let limit = FileDescriptorLimit.raiseToHardLimit(), limit < connections + 64 {
            BenchOutput.progress("warning: this process may open \(limit) files; \(connections) connections will not fit")
        }
        let result = await ConnectRun(
            url: try NumberedWebSocketURL(url), connections: connections, concurrency: concurrency,
            sourceAddresses: sourceAddresses, connectTimeout: connectTimeout, maxFailures: maxFailures,
            closeTimeout: closeTimeout, serverPID: pid
        ).run()
        print(json ? try BenchOutput.json(result) : result.line)
        if result.failure != nil || result.opened == 0 { throw ExitCode(1) }
    }
}
