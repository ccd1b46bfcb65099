import NIOCore
import NIOPosix

/// One `bench idle` run: reads the server's memory, opens N WebSocket connections
/// that then say nothing, lets the server settle, reads its memory again; then
/// optionally holds them with pings for a while; then closes them all.
///
/// Progress goes to standard error every 10 s of a long phase.
struct IdleRun {
    let settings: IdleSettings
    let group: MultiThreadedEventLoopGroup

    /// Seconds between progress lines.
    static let progressInterval: UInt64 = 10_000_000_000

    func run() async -> IdleResult {
        var result = IdleResult(connections: settings.connections)
        var channels: [any Channel] = []
        let loop = group.next()
        var tally: NIOLoopBound<HeldTally>?
        do {
            let held = try await loop.submit { NIOLoopBound(HeldTally(), eventLoop: loop) }.get()
            tally = held
            try await measure(into: &result, channels: &channels, tally: held)
        } catch {
            result.failure = "\(error)"
        }
        if let tally { _ = try? await loop.submit { tally.value.finished = true }.get() }
        let close = await ConnectionCloser.closeAll(channels, grace: .nanoseconds(Int64(settings.closeTimeout * 1e9)))
        result.closing = close.closing
        result.closeSeconds = close.seconds
        result.closeForced = close.forced
        if result.failure == nil, let pid = settings.serverPID {
            try? await Self.sleep(seconds: settings.settle)
            result.rssAfterCloseKiB = ProcessStatus.residentKiB(pid: pid)
        }
        result.passed = result.failure == nil && result.opened == settings.connections && result.closedByServer == 0
            && result.pongsMissing == 0
        return result
    }

    private func measure(into result: inout IdleResult, channels: inout [any Channel], tally: NIOLoopBound<HeldTally>) async throws {
        let loop = tally.eventLoop
        let pid = settings.serverPID
        if let pid {
            try await Self.sleep(seconds: settings.settle)
            guard let rss = ProcessStatus.residentKiB(pid: pid) else {
                throw IdleError.noProcess(pid)
            }
            result.rssBeforeKiB = rss
            result.fdsBefore = ProcessStatus.openFileDescriptors(pid: pid)
        }

        try await open(into: &result, channels: &channels, tally: tally)
        result.opened = channels.count

        if let pid {
            try await Self.sleep(seconds: settings.settle)
            result.rssAfterKiB = ProcessStatus.residentKiB(pid: pid)
            result.fdsAfter = ProcessStatus.openFileDescriptors(pid: pid)
            if let before = result.rssBeforeKiB, let after = result.rssAfterKiB, result.opened > 0 {
                result.kibPerConnection = Double(after - before) / Double(result.opened)
            }
        }
        result.clientRSSKiB = ProcessStatus.residentKiB()
        if settings.hold > 0, !channels.isEmpty {
            try await hold(channels, into: &result, tally: tally)
        }
        let (closed, frames) = try await loop.submit { (tally.value.closedByServer, tally.value.frames) }.get()
        result.closedByServer = closed
        result.framesReceived = frames
    }

    /// Opens the connections, `concurrency` at a time; stops at the first failure.
    private func open(into result: inout IdleResult, channels: inout [any Channel], tally: NIOLoopBound<HeldTally>) async throws {
        let loop = tally.eventLoop
        let timeout = TimeAmount.nanoseconds(Int64(settings.connectTimeout * 1e9))
        let url = settings.url, sourceAddresses = settings.sourceAddresses, count = settings.connections
        let shared = try url.sharedConnector(sourceAddresses: sourceAddresses, timeout: timeout, maxFrameSize: 1 << 16)
        channels.reserveCapacity(count)
        let started = NIODeadline.now().uptimeNanoseconds
        var nextProgress = started + Self.progressInterval
        await ConnectionOpener.openAll(count: count, parallelism: settings.concurrency) { k in
            let connector = try url.connector(k, shared: shared, sourceAddresses: sourceAddresses, timeout: timeout, maxFrameSize: 1 << 16)
            return try await connector.connect(number: k, on: loop) { HeldConnectionHandler(tally: tally.value) }
        } completed: { k, outcome in
            switch outcome {
            case .success(let channel):
                channels.append(channel)
            case .failure(let error):
                result.failed += 1
                if result.firstFailure == nil { result.firstFailure = "connection \(k): \(error)" }
            }
            let now = NIODeadline.now().uptimeNanoseconds
            if now >= nextProgress {
                nextProgress = now + Self.progressInterval
                BenchOutput.progress("connecting: \(channels.count)/\(count) open, \(result.failed) failed, \(Self.seconds(since: started)) s")
            }
            return result.failed == 0
        }
        result.connectSeconds = Double(NIODeadline.now().uptimeNanoseconds - started) / 1e9
        BenchOutput.progress("connected: \(channels.count)/\(count) open, \(result.failed) failed, \(Self.seconds(since: started)) s")
    }

    /// Holds the connections for `hold` seconds, pinging each once per interval.
    private func hold(_ channels: [any Channel], into result: inout IdleResult, tally: NIOLoopBound<HeldTally>) async throws {
        let loop = tally.eventLoop
        let interval = TimeAmount.nanoseconds(Int64(settings.pingInterval * 1e9))
        let pongTimeout = TimeAmount.nanoseconds(Int64(settings.pongTimeout * 1e9))
        let pinger = try await loop.submit {
            let handlers = channels.compactMap { try? $0.pipeline.syncOperations.handler(type: HeldConnectionHandler.self) }
            let pinger = Pinger(handlers: handlers, eventLoop: loop, interval: interval, timeout: pongTimeout)
            pinger.begin()
            return NIOLoopBound(pinger, eventLoop: loop)
        }.get()
        let started = NIODeadline.now().uptimeNanoseconds
        let end = started + UInt64(settings.hold * 1e9)
        while true {
            let now = NIODeadline.now().uptimeNanoseconds
            if now >= end { break }
            try await Task.sleep(for: .nanoseconds(min(Self.progressInterval, end - now)))
            let (sent, pongs, missing, closed) = try await loop.submit {
                let t = tally.value
                return (t.pingsSent, t.pongs, t.pongsMissing, t.closedByServer)
            }.get()
            let rss = settings.serverPID.flatMap { ProcessStatus.residentKiB(pid: $0) }.map { ", server RSS \($0 / 1024) MiB" } ?? ""
            BenchOutput.progress("holding \(Self.seconds(since: started))/\(Int(settings.hold)) s: \(channels.count - closed) open,"
                + " \(sent) pings, \(pongs) pongs, \(missing) missing, \(closed) closed by the server\(rss)")
        }
        // The last pings get their timeout to be answered, then whatever is unanswered is missing.
        try await loop.submit { pinger.value.stop() }.get()
        let graceEnd = NIODeadline.now().uptimeNanoseconds + UInt64(settings.pongTimeout * 1e9)
        while NIODeadline.now().uptimeNanoseconds < graceEnd {
            let waiting = try await loop.submit { () -> Bool in
                pinger.value.expire(now: NIODeadline.now().uptimeNanoseconds)
                return pinger.value.waiting
            }.get()
            if !waiting { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        let t = try await loop.submit {
            pinger.value.expireAll()
            let t = tally.value
            return (t.pingsSent, t.pongs, t.pongsMissing, t.latePongs, LatencySummary(t.pingRoundTrip))
        }.get()
        (result.pingsSent, result.pongs, result.pongsMissing, result.latePongs, result.pingRoundTrip) = t
        result.holdSeconds = settings.hold
        result.pingIntervalSeconds = settings.pingInterval
        result.rssAfterHoldKiB = settings.serverPID.flatMap { ProcessStatus.residentKiB(pid: $0) }
    }

    private static func seconds(since start: UInt64) -> Int {
        Int((NIODeadline.now().uptimeNanoseconds - start) / 1_000_000_000)
    }

    private static func sleep(seconds: Double) async throws {
        if seconds > 0 { try await Task.sleep(for: .milliseconds(Int(seconds * 1000))) }
    }
}

/// Why an idle run could not measure.
enum IdleError: Error, CustomStringConvertible {
    case noProcess(Int32)

    var description: String {
        switch self {
        case .noProcess(let pid): "cannot read /proc/\(pid)/status: no such process (--pid)"
        }
    }
}
