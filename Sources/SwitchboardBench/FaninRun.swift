import NIOCore
import NIOPosix

/// One fan-in run at a fixed total publish rate, on fresh connections: connect
/// the subscriber, then the publishers, publish the open-loop schedule, wait for
/// late deliveries, collect the tallies, close everything.
///
/// Everything runs on one event loop (the load generator has one core). Every
/// wait is bounded, so a server that hangs yields a failed result, not a hung tool.
struct FaninRun {
    let settings: FaninSettings
    /// Total publish rate over all publishers, messages per second.
    let rate: Double
    let group: MultiThreadedEventLoopGroup

    func run() async -> FaninResult {
        if let pid = settings.serverPID, !(await ServerQuiet.wait(pid: pid)) {
            BenchOutput.progress("warning: the server is still busy after 60 s; measuring anyway")
        }
        var result = FaninResult(targetRate: rate, publishers: settings.publishers, size: settings.size)
        var channels: [any Channel] = []
        do {
            try await measure(into: &result, channels: &channels)
        } catch {
            result.failure = "\(error)"
        }
        _ = await ConnectionCloser.closeAll(channels)
        return result
    }

    private func measure(into result: inout FaninResult, channels: inout [any Channel]) async throws {
        let loop = group.next()
        let warmupCount = Int((rate * settings.warmup).rounded(.up))
        let total = max(warmupCount + 1, Int((rate * (settings.warmup + settings.duration)).rounded()))
        let measured = total - warmupCount
        let publishers = settings.publishers

        let (tally, publisherTally) = try await loop.submit {
            (NIOLoopBound(LoopTally(subscribers: 1, firstMeasured: warmupCount, measuredCount: measured), eventLoop: loop),
             NIOLoopBound(FaninPublisherTally(), eventLoop: loop))
        }.get()

        // The subscriber first, so that it is there when the first message commits.
        let timeout = TimeAmount.nanoseconds(Int64(settings.connectTimeout * 1e9))
        let maxFrameSize = max(1 << 16, settings.size * 4)
        let sourceAddresses = settings.sourceAddresses
        let subConnector = try WebSocketConnector(
            url: settings.subURL, sourceAddresses: sourceAddresses, timeout: timeout, maxFrameSize: maxFrameSize)
        do {
            channels.append(try await subConnector.connect(number: publishers, on: loop, rawFrames: true) {
                SubscriberHandler(tally: tally.value, slot: 0, maxFrameSize: maxFrameSize)
            })
        } catch {
            throw ConnectError(role: "subscriber", url: settings.subURL, underlying: error)
        }

        let pubURL = settings.pubURL
        let sharedConnector = try pubURL.sharedConnector(sourceAddresses: sourceAddresses, timeout: timeout, maxFrameSize: maxFrameSize)
        var publisherChannels: [(any Channel)?] = Array(repeating: nil, count: publishers)
        var failure: (any Error)?
        await ConnectionOpener.openAll(count: publishers, parallelism: settings.connectParallelism) { k in
            let connector = try pubURL.connector(
                k, shared: sharedConnector, sourceAddresses: sourceAddresses, timeout: timeout, maxFrameSize: maxFrameSize)
            do {
                return try await connector.connect(number: k, on: loop) { FaninPublisherHandler(tally: publisherTally.value) }
            } catch {
                throw ConnectError(role: "publisher \(k)", url: connector.url, underlying: error)
            }
        } completed: { k, outcome in
            switch outcome {
            case .success(let channel):
                channels.append(channel)
                publisherChannels[k] = channel
            case .failure(let error):
                failure = failure ?? error
            }
            return failure == nil
        }
        if let failure { throw failure }
        let pubChannels = publisherChannels.compactMap { $0 }

        // The schedule starts shortly after every connection is up.
        let start = NIODeadline.now().uptimeNanoseconds + 20_000_000
        let windowStart = start + UInt64(settings.warmup * 1e9)
        let windowEnd = windowStart + UInt64(settings.duration * 1e9)
        let cpuBefore = ProcessCPU.nanoseconds()
        let serverCPUBefore = settings.serverPID.flatMap { ProcessStatus.cpuNanoseconds(pid: $0) }
        let wallBefore = NIODeadline.now().uptimeNanoseconds
        let rate = self.rate, size = settings.size
        let publisher = try await loop.submit {
            tally.value.recorder.windowStart = windowStart
            tally.value.recorder.windowEnd = windowEnd
            let outlets = try pubChannels.map { try $0.pipeline.syncOperations.handler(type: FaninPublisherHandler.self).outlet }
            let publisher = FaninPublisher(
                outlets: outlets, eventLoop: loop, start: start, rate: rate, total: total, size: size,
                windowStart: windowStart, windowEnd: windowEnd)
            publisher.begin()
            return NIOLoopBound(publisher, eventLoop: loop)
        }.get()

        // Sleep through the schedule, then give the publisher a bounded grace period
        // to write the rest (it falls behind only if this process is overloaded).
        try await Self.sleep(until: windowEnd)
        let publishDeadline = windowEnd + 2_000_000_000
        var sent = 0
        while true {
            sent = try await loop.submit { publisher.value.sent }.get()
            if sent >= total || NIODeadline.now().uptimeNanoseconds > publishDeadline { break }
            try await Task.sleep(for: .milliseconds(5))
        }
        let cpuAfter = ProcessCPU.nanoseconds()
        let serverCPUAfter = settings.serverPID.flatMap { ProcessStatus.cpuNanoseconds(pid: $0) }
        let wallAfter = NIODeadline.now().uptimeNanoseconds
        guard sent >= total else {
            throw BenchError.timedOut("publishers sent \(sent) of \(total) messages (load generator overloaded?)")
        }

        // Late deliveries count until the drain deadline; after it they are lost.
        let drainDeadline = NIODeadline.now().uptimeNanoseconds + UInt64(settings.drain * 1e9)
        while NIODeadline.now().uptimeNanoseconds < drainDeadline {
            let unique = try await loop.submit { tally.value.recorder.totals.unique }.get()
            if unique >= measured { break }
            try await Task.sleep(for: .milliseconds(10))
        }

        let (totals, publisherFigures, sentInWindow, skipped, maxLag) = try await loop.submit {
            tally.value.finished = true
            publisherTally.value.finished = true
            let p = publisherTally.value, s = publisher.value
            return (tally.value.recorder.totals, (p.frames, p.errors, p.firstError, p.dropped), s.sentInWindow, s.skipped, s.maxLag)
        }.get()

        result.record(totals, expected: measured, duration: settings.duration)
        (result.publisherFrames, result.publisherErrors, result.firstError, result.publishersDropped) = publisherFigures
        result.unsent = skipped
        result.publishRate = Double(sentInWindow) / settings.duration
        result.publisherMaxLagMs = Double(maxLag) / 1e6
        result.clientCPU = Double(cpuAfter - cpuBefore) / Double(max(1, wallAfter - wallBefore))
        if let before = serverCPUBefore, let after = serverCPUAfter {
            result.serverCPU = Double(after &- before) / Double(max(1, wallAfter - wallBefore))
        }
        result.passed = result.lost == 0 && !result.subscriberDropped && result.publishersDropped == 0
            && result.publisherErrors == 0 && result.p99Ms <= settings.p99LimitMs
    }

    private static func sleep(until deadline: UInt64) async throws {
        let now = NIODeadline.now().uptimeNanoseconds
        if deadline > now { try await Task.sleep(for: .nanoseconds(deadline - now)) }
    }
}
