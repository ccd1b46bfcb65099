import Foundation
import NIOCore

/// One `bench connect` run: opens the connections as fast as the server accepts
/// them, at most `concurrency` under way at once, holds them all, then closes
/// them all with close frames. The sockets are plain ones on one thread
/// (`PlainSocketConnector`), so the load generator costs less than the server it measures.
struct ConnectRun: Sendable {
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

    /// Runs on a thread of its own: the connector blocks in `poll`.
    func run() async -> ConnectResult {
        await withCheckedContinuation { continuation in
            Thread { continuation.resume(returning: self.runBlocking()) }.start()
        }
    }

    private func runBlocking() -> ConnectResult {
        var result = ConnectResult(connections: connections, concurrency: concurrency)
        let connector: PlainSocketConnector
        let requests: (Int) -> [UInt8]
        do {
            let first = try url.url(0)
            let sockets = try ClientSockets(authority: first.authority, sourceAddresses: sourceAddresses, timeout: .seconds(1))
            connector = try PlainSocketConnector(address: sockets.address, sourceAddresses: sockets.sourceAddresses, timeout: connectTimeout)
            // One request for all unless the URL numbers its connections.
            let shared = url.template.contains(NumberedWebSocketURL.placeholder) ? nil : UpgradeHandshake.request(for: first)
            let url = self.url
            requests = { number in shared ?? ((try? url.url(number)).map { UpgradeHandshake.request(for: $0) } ?? []) }
        } catch {
            result.failure = "\(error)"
            return result
        }

        let cpuBefore = ProcessCPU.nanoseconds()
        let serverCPUBefore = serverPID.flatMap { ProcessStatus.cpuNanoseconds(pid: $0) }
        let started = NIODeadline.now().uptimeNanoseconds
        let opened = connector.openAll(count: connections, concurrency: concurrency, maxFailures: maxFailures, request: requests)
        let seconds = Double(NIODeadline.now().uptimeNanoseconds - started) / 1e9
        result.clientCPU = Double(ProcessCPU.nanoseconds() - cpuBefore) / 1e9 / max(seconds, 1e-9)
        if let before = serverCPUBefore, let after = serverPID.flatMap({ ProcessStatus.cpuNanoseconds(pid: $0) }) {
            result.serverCPU = Double(after &- before) / 1e9 / max(seconds, 1e-9)
        }
        result.failed = opened.failed
        result.firstFailure = opened.firstFailure
        result.opened = opened.sockets.count
        result.seconds = seconds
        result.connectionsPerSecond = Double(opened.sockets.count) / max(seconds, 1e-9)
        result.setup = LatencySummary(opened.setup)
        result.closedByServer = connector.closedByServer(opened.sockets)
        result.passed = result.opened == connections && result.closedByServer == 0

        let close = connector.closeAll(opened.sockets, grace: closeTimeout)
        result.closing = close.closing
        result.closeSeconds = close.seconds
        result.closesPerSecond = close.seconds > 0 ? Double(close.closing) / close.seconds : 0
        result.closeForced = close.forced
        return result
    }
}
