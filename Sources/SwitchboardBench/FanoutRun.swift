import NIOCore
import NIOPosix

/// One fan-out run at a fixed publish rate, on fresh connections: connect all
/// subscribers and the publisher, publish the open-loop schedule, wait for late
/// deliveries, merge the tallies, close everything. Each side speaks the protocol
/// its URL names (`FanoutEndpoint`); nothing else here depends on it.
///
/// Every wait is bounded, so a server that hangs yields a failed result, not a hung tool.
struct FanoutRun {
    let settings: FanoutSettings
    /// Publish rate, messages per second.
    let rate: Double
    let group: MultiThreadedEventLoopGroup

    func run() async -> FanoutResult {
        var result = FanoutResult(targetRate: rate, subscribers: settings.subscribers, size: settings.size)
        var connections: [Connection] = []
        do {
            try await measure(into: &result, connections: &connections)
        } catch {
            result.failure = "\(error)"
        }
        await Self.close(connections)
        return result
    }

    /// An open connection of the run, and the endpoint that knows how to close it.
    private typealias Connection = (channel: any Channel, endpoint: any FanoutEndpoint)

    private func measure(into result: inout FanoutResult, connections: inout [Connection]) async throws {
        let loops = Array(group.makeIterator())
        let warmupCount = Int((rate * settings.warmup).rounded(.up))
        let total = max(warmupCount + 1, Int((rate * (settings.warmup + settings.duration)).rounded()))
        let measured = total - warmupCount
        let subscribers = settings.subscribers

        // Subscriber k lives on loop k % loops.count, in row k / loops.count of its tally.
        var tallies: [NIOLoopBound<LoopTally>] = []
        for (n, loop) in loops.enumerated() {
            let rows = (subscribers - n + loops.count - 1) / loops.count
            tallies.append(try await loop.submit {
                NIOLoopBound(LoopTally(subscribers: rows, firstMeasured: warmupCount, measuredCount: measured), eventLoop: loop)
            }.get())
        }

        let timeout = TimeAmount.nanoseconds(Int64(settings.connectTimeout * 1e9))
        let maxFrameSize = max(1 << 16, settings.size * 4)
        let subEndpoints = try settings.subURLs.map {
            try $0.endpoint(sourceAddresses: settings.sourceAddresses, timeout: timeout, maxFrameSize: maxFrameSize)
        }
        let pubEndpoint = try settings.pubURL.endpoint(
            sourceAddresses: settings.sourceAddresses, timeout: timeout, maxFrameSize: maxFrameSize)
        let frozenTallies = tallies
        try await openAll(count: subscribers, into: &connections, endpoints: subEndpoints) { k in
            try await subEndpoints[k % subEndpoints.count].connectSubscriber(
                number: k, on: loops[k % loops.count], tally: frozenTallies[k % loops.count], slot: k / loops.count)
        }
        let pubChannel: any Channel
        do {
            pubChannel = try await pubEndpoint.connectPublisher(number: subscribers, on: loops[0])
        } catch {
            throw ConnectError(role: "publisher", url: settings.pubURL, underlying: error)
        }
        connections.append((pubChannel, pubEndpoint))

        // The schedule starts shortly after every connection is up.
        let start = NIODeadline.now().uptimeNanoseconds + 20_000_000
        let windowStart = start + UInt64(settings.warmup * 1e9)
        let windowEnd = windowStart + UInt64(settings.duration * 1e9)
        _ = try await Self.onEachLoop(tallies) { tally in
            tally.recorder.windowStart = windowStart
            tally.recorder.windowEnd = windowEnd
        }
        let cpuBefore = ProcessCPU.nanoseconds()
        let wallBefore = NIODeadline.now().uptimeNanoseconds
        let rate = self.rate, size = settings.size, framing = pubEndpoint.messageFraming()
        let publisher = try await pubChannel.eventLoop.submit {
            let publisher = Publisher(
                channel: pubChannel, framing: framing, start: start, rate: rate, total: total, size: size,
                windowStart: windowStart, windowEnd: windowEnd)
            publisher.begin()
            return NIOLoopBound(publisher, eventLoop: pubChannel.eventLoop)
        }.get()

        // Sleep through the schedule, then give the publisher a bounded grace period
        // to write the rest (it falls behind only if this process is overloaded).
        try await Self.sleep(until: windowEnd)
        let publishDeadline = windowEnd + 2_000_000_000
        var sent = 0
        while true {
            sent = try await pubChannel.eventLoop.submit { publisher.value.sent }.get()
            if sent >= total || NIODeadline.now().uptimeNanoseconds > publishDeadline { break }
            try await Task.sleep(for: .milliseconds(5))
        }
        let cpuAfter = ProcessCPU.nanoseconds()
        let wallAfter = NIODeadline.now().uptimeNanoseconds
        guard sent >= total else {
            throw BenchError.timedOut("publisher sent \(sent) of \(total) messages (server closed the connection?)")
        }

        // Late deliveries count until the drain deadline; after it they are lost.
        let expected = measured * subscribers
        let drainDeadline = NIODeadline.now().uptimeNanoseconds + UInt64(settings.drain * 1e9)
        while NIODeadline.now().uptimeNanoseconds < drainDeadline {
            let unique = try await Self.onEachLoop(tallies) { $0.recorder.totals.unique }.reduce(0, +)
            if unique >= expected { break }
            try await Task.sleep(for: .milliseconds(10))
        }

        var totals = ReceiveTotals()
        for loopTotals in try await Self.onEachLoop(tallies, { tally in
            tally.finished = true
            return tally.recorder.totals
        }) {
            totals.merge(loopTotals)
        }
        let (sentInWindow, maxLag) = try await pubChannel.eventLoop.submit {
            (publisher.value.sentInWindow, publisher.value.maxLag)
        }.get()

        result.record(totals, expected: expected, duration: settings.duration)
        result.publishRate = Double(sentInWindow) / settings.duration
        result.publisherMaxLagMs = Double(maxLag) / 1e6
        result.clientCPU = Double(cpuAfter - cpuBefore) / Double(max(1, wallAfter - wallBefore))
        result.passed = result.lost == 0 && result.dropped == 0 && result.p99Ms <= settings.p99LimitMs
    }

    /// Opens `count` connections of `endpoint`, at most `connectParallelism` at a
    /// time, appending each to `connections` as it is up. On the first failure it
    /// opens no more, waits for those under way, and throws (the caller closes what
    /// was opened).
    private func openAll(
        count: Int,
        into connections: inout [Connection],
        endpoints: [any FanoutEndpoint],
        open: @escaping @Sendable (Int) async throws -> any Channel
    ) async throws {
        let urls = settings.subURLs
        let failure: (any Error)? = await withTaskGroup(of: Result<(Int, any Channel), ConnectError>.self) { group in
            var next = 0
            var failure: (any Error)?
            func launch() {
                let k = next
                next += 1
                group.addTask {
                    do { return .success((k, try await open(k))) } catch {
                        return .failure(ConnectError(role: "subscriber \(k)", url: urls[k % urls.count], underlying: error))
                    }
                }
            }
            while next < min(count, settings.connectParallelism) { launch() }
            for await outcome in group {
                switch outcome {
                case .success(let (k, channel)): connections.append((channel, endpoints[k % endpoints.count]))
                case .failure(let error): failure = failure ?? error
                }
                if failure == nil, next < count { launch() }
            }
            return failure
        }
        if let failure { throw failure }
    }

    /// Runs `body` on each loop's tally, on its loop, one loop after the other.
    private static func onEachLoop<T: Sendable>(
        _ tallies: [NIOLoopBound<LoopTally>],
        _ body: @escaping @Sendable (LoopTally) -> T
    ) async throws -> [T] {
        var results: [T] = []
        for tally in tallies {
            results.append(try await tally.eventLoop.submit { body(tally.value) }.get())
        }
        return results
    }

    /// Closes the connections of a run the way their protocol expects (a close
    /// frame, a DISCONNECT), so that a server sees a normal closure rather than an
    /// error per connection. Forces after 2 s.
    private static func close(_ connections: [Connection]) async {
        let deadline = NIODeadline.now() + .seconds(2)
        var timers: [Scheduled<Void>] = []
        for (channel, endpoint) in connections {
            endpoint.closeGracefully(channel)
            timers.append(channel.eventLoop.scheduleTask(deadline: deadline) { channel.close(promise: nil) })
        }
        for ((channel, _), timer) in zip(connections, timers) {
            try? await channel.closeFuture.get()
            timer.cancel()
        }
    }

    private static func sleep(until deadline: UInt64) async throws {
        let now = NIODeadline.now().uptimeNanoseconds
        if deadline > now { try await Task.sleep(for: .nanoseconds(deadline - now)) }
    }
}
