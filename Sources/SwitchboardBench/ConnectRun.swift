import Histogram
import NIOCore
import NIOPosix

/// One `bench connect` run: opens the connections as fast as the server accepts
/// them, at most `concurrency` under way at once, holds them all, then closes
/// them all with close frames.
struct ConnectRun {
    let url: NumberedWebSocketURL
    let connections: Int
    let concurrency: Int
    let sourceAddresses: Int
    let connectTimeout: Double
    /// After this many failed connections no more are started.
    let maxFailures: Int
    let closeTimeout: Double
    /// The server's process id, if known, to report its CPU use.
    let serverPID: Int32?
    let group: MultiThreadedEventLoopGroup

    func run() async -> ConnectResult {
        var result = ConnectResult(connections: connections, concurrency: concurrency)
        var channels: [any Channel] = []
        do {
            try await measure(into: &result, channels: &channels)
        } catch {
            result.failure = "\(error)"
        }
        let close = await ConnectionCloser.closeAll(channels, grace: .nanoseconds(Int64(closeTimeout * 1e9)))
        result.closing = close.closing
        result.closeSeconds = close.seconds
        result.closesPerSecond = close.seconds > 0 ? Double(close.closing) / close.seconds : 0
        result.closeForced = close.forced
        return result
    }

    private func measure(into result: inout ConnectResult, channels: inout [any Channel]) async throws {
        let loop = group.next()
        let tally = try await loop.submit { NIOLoopBound(HeldTally(), eventLoop: loop) }.get()
        let timeout = TimeAmount.nanoseconds(Int64(connectTimeout * 1e9))
        let url = self.url
        let sockets = try ClientSockets(authority: try url.url(0).authority, sourceAddresses: sourceAddresses, timeout: timeout)
        let shared = try? url.sharedConnector(sourceAddresses: 0, timeout: timeout, maxFrameSize: 0).map { LeanUpgradeHandler.request(for: $0.url) }
        let opener = try await loop.submit {
            NIOLoopBound(
                LoopConnectionOpener(count: self.connections, parallelism: self.concurrency, maxFailures: self.maxFailures, loop: loop) { k in
                    let request = try shared ?? LeanUpgradeHandler.request(for: url.url(k))
                    return Self.open(number: k, request: request, sockets: sockets, timeout: timeout, on: loop) {
                        HeldConnectionHandler(tally: tally.value)
                    }
                }, eventLoop: loop)
        }.get()
        channels.reserveCapacity(connections)

        let cpuBefore = ProcessCPU.nanoseconds()
        let serverCPUBefore = serverPID.flatMap { ProcessStatus.cpuNanoseconds(pid: $0) }
        let started = NIODeadline.now().uptimeNanoseconds
        try await loop.flatSubmit { opener.value.start() }.get()
        let seconds = Double(NIODeadline.now().uptimeNanoseconds - started) / 1e9
        result.clientCPU = Double(ProcessCPU.nanoseconds() - cpuBefore) / 1e9 / max(seconds, 1e-9)
        if let before = serverCPUBefore, let after = serverPID.flatMap({ ProcessStatus.cpuNanoseconds(pid: $0) }) {
            result.serverCPU = Double(after &- before) / 1e9 / max(seconds, 1e-9)
        }
        let (opened, failed, firstFailure, setup) = try await loop.submit {
            (opener.value.channels, opener.value.failed, opener.value.firstFailure, opener.value.setup)
        }.get()
        channels = opened
        result.failed = failed
        result.firstFailure = firstFailure

        result.opened = channels.count
        result.seconds = seconds
        result.connectionsPerSecond = Double(channels.count) / max(seconds, 1e-9)
        result.setup = LatencySummary(setup)
        result.closedByServer = try await loop.submit {
            tally.value.finished = true
            return tally.value.closedByServer
        }.get()
        result.passed = result.opened == connections && result.closedByServer == 0
    }

    /// Connects connection `number` and upgrades it with `request`, all on `loop`.
    private static func open(
        number: Int, request: ByteBuffer, sockets: ClientSockets, timeout: TimeAmount, on loop: any EventLoop,
        install: @escaping @Sendable () -> any ChannelHandler
    ) -> EventLoopFuture<any Channel> {
        let upgraded = loop.makePromise(of: Void.self)
        let bootstrap: ClientBootstrap
        do {
            bootstrap = try sockets.bootstrap(number: number, on: loop)
        } catch {
            upgraded.fail(error)
            return loop.makeFailedFuture(error)
        }
        return bootstrap.channelInitializer { channel in
            channel.eventLoop.makeCompletedFuture {
                try channel.pipeline.syncOperations.addHandler(
                    LeanUpgradeHandler(request: request, maxFrameSize: 1 << 16, upgraded: upgraded, install: install))
            }
        }
        .connect(to: sockets.address)
        .flatMapError { error in
            upgraded.fail(error)
            return loop.makeFailedFuture(error)
        }
        .flatMap { channel in
            // A server that accepts but never answers must not hang the run.
            let timer = loop.scheduleTask(in: timeout) { channel.close(promise: nil) }
            return upgraded.futureResult.always { _ in timer.cancel() }.map { channel }
        }
    }
}

/// Opens connections from their event loop itself, at most `parallelism` under way: no task
/// and no thread hop per connection, so that the load generator's core goes to connecting.
final class LoopConnectionOpener {
    private let count: Int
    private let parallelism: Int
    private let maxFailures: Int
    private let loop: any EventLoop
    private let open: (Int) throws -> EventLoopFuture<any Channel>
    private var next = 0
    private var running = 0
    private var finished: EventLoopPromise<Void>?

    private(set) var channels: [any Channel] = []
    private(set) var failed = 0
    private(set) var firstFailure: String?
    private(set) var setup = LatencySummary.makeHistogram()

    init(count: Int, parallelism: Int, maxFailures: Int, loop: any EventLoop, open: @escaping (Int) throws -> EventLoopFuture<any Channel>) {
        self.count = count
        self.parallelism = max(1, parallelism)
        self.maxFailures = maxFailures
        self.loop = loop
        self.open = open
    }

    /// Opens them all; completes once every connection attempt has ended.
    func start() -> EventLoopFuture<Void> {
        let finished = loop.makePromise(of: Void.self)
        self.finished = finished
        while running < parallelism && next < count { launch() }
        if running == 0 { finished.succeed() }
        return finished.futureResult
    }

    private func launch() {
        let k = next
        next += 1
        running += 1
        let begun = NIODeadline.now().uptimeNanoseconds
        let attempt: EventLoopFuture<any Channel>
        do { attempt = try open(k) } catch { attempt = loop.makeFailedFuture(error) }
        attempt.assumeIsolated().whenComplete { [self] outcome in
            running -= 1
            switch outcome {
            case .success(let channel):
                channels.append(channel)
                setup.record(min(NIODeadline.now().uptimeNanoseconds - begun, ReceiveTotals.highestLatency))
            case .failure(let error):
                failed += 1
                if firstFailure == nil { firstFailure = "connection \(k): \(error)" }
            }
            if failed < maxFailures && next < count {
                launch()
            } else if running == 0 {
                finished?.succeed()
            }
        }
    }
}
