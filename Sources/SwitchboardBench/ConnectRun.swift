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
        let maxFrameSize = 1 << 16
        let url = self.url, sourceAddresses = self.sourceAddresses
        let shared = try url.sharedConnector(sourceAddresses: sourceAddresses, timeout: timeout, maxFrameSize: maxFrameSize)
        var setup = LatencySummary.makeHistogram()
        channels.reserveCapacity(connections)

        let cpuBefore = ProcessCPU.nanoseconds()
        let serverCPUBefore = serverPID.flatMap { ProcessStatus.cpuNanoseconds(pid: $0) }
        let started = NIODeadline.now().uptimeNanoseconds
        await ConnectionOpener.openAll(count: connections, parallelism: concurrency) { k in
            let connector = try url.connector(k, shared: shared, sourceAddresses: sourceAddresses, timeout: timeout, maxFrameSize: maxFrameSize)
            let begun = NIODeadline.now().uptimeNanoseconds
            let channel = try await connector.connect(number: k, on: loop) { HeldConnectionHandler(tally: tally.value) }
            return (channel, NIODeadline.now().uptimeNanoseconds - begun)
        } completed: { k, outcome in
            switch outcome {
            case .success(let (channel, nanoseconds)):
                channels.append(channel)
                setup.record(min(nanoseconds, ReceiveTotals.highestLatency))
            case .failure(let error):
                result.failed += 1
                if result.firstFailure == nil { result.firstFailure = "connection \(k): \(error)" }
            }
            return result.failed < maxFailures
        }
        let seconds = Double(NIODeadline.now().uptimeNanoseconds - started) / 1e9
        result.clientCPU = Double(ProcessCPU.nanoseconds() - cpuBefore) / 1e9 / max(seconds, 1e-9)
        if let before = serverCPUBefore, let after = serverPID.flatMap({ ProcessStatus.cpuNanoseconds(pid: $0) }) {
            result.serverCPU = Double(after &- before) / 1e9 / max(seconds, 1e-9)
        }

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
}
