import Logging
import NIOCore
import NIOPosix
import Synchronization
import SwitchboardCore
import SwitchboardRace

/// A `race` source's `tap` mode: Winlaufen connects here instead of to the Sprecher-PC; every
/// connection is relayed to `target` byte for byte, both ways (half-closes too), and a copy of
/// each direction is decoded. Relaying never waits for decoding or publishing.
///
/// While it cannot listen it is `failed` and retries with back-off; a connection whose target
/// cannot be reached is closed and logged (Winlaufen reconnects as it would to the real PC).
struct RaceTap {
    let listen: RaceSource.Address
    let target: RaceSource.Address
    let flushAfter: Duration

    typealias Connection = NIOAsyncChannel<ByteBuffer, ByteBuffer>

    func run(context: SourceContext, publisher: RacePublisher) async {
        var backoff = Backoff(initial: .milliseconds(500), maximum: .seconds(30))
        var failed = false
        while !Task.isCancelled {
            let started = ContinuousClock.now
            do {
                let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                    .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                    .childChannelOption(.allowRemoteHalfClosure, value: true)
                    .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
                    .bind(host: self.listen.host, port: self.listen.port) { channel in
                        channel.eventLoop.makeCompletedFuture {
                            try Connection(wrappingChannelSynchronously: channel, configuration: .init(isOutboundHalfClosureEnabled: true))
                        }
                    }
                if failed { context.report(.running) }
                failed = false
                context.logger.info(
                    "Race tap listening",
                    metadata: ["source": "\(context.name)", "address": "\(server.channel.localAddress?.description ?? "\(self.listen)")", "target": "\(self.target)"]
                )
                try await withThrowingDiscardingTaskGroup { group in
                    try await server.executeThenClose { clients in
                        for try await client in clients {
                            group.addTask { await self.relay(client, context: context, publisher: publisher) }
                        }
                    }
                }
            } catch {
                if Task.isCancelled { return }
                context.report(.failed("cannot listen on \(self.listen): \(error)"))
                failed = true
            }
            do { try await Task.sleep(for: backoff.next(afterRunning: .now - started)) } catch { return }
        }
    }

    func relay(_ client: Connection, context: SourceContext, publisher: RacePublisher) async {
        let peer = client.channel.remoteAddress?.description ?? "?"
        let upstream: Connection
        do {
            upstream = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .connectTimeout(.seconds(5))
                .channelOption(.allowRemoteHalfClosure, value: true)
                .channelOption(.socketOption(.tcp_nodelay), value: 1)
                .connect(host: self.target.host, port: self.target.port) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try Connection(wrappingChannelSynchronously: channel, configuration: .init(isOutboundHalfClosureEnabled: true))
                    }
                }
        } catch {
            context.logger.warning(
                "Race tap cannot reach its target; connection closed",
                metadata: ["source": "\(context.name)", "peer": "\(peer)", "target": "\(self.target)", "error.type": "\(error)"]
            )
            try? await client.executeThenClose { _, _ in }
            return
        }
        context.logger.info("Race tap relaying", metadata: ["source": "\(context.name)", "peer": "\(peer)", "target": "\(self.target)"])
        let toTarget = TapDecoder()
        let toClient = TapDecoder()
        do {
            try await client.executeThenClose { clientIn, clientOut in
                try await upstream.executeThenClose { targetIn, targetOut in
                    try await withThrowingTaskGroup(of: Void.self) { group in
                        group.addTask {
                            for try await buffer in clientIn {
                                try await targetOut.write(buffer)
                                publisher.submit(toTarget.feed(buffer))
                            }
                            targetOut.finish()
                        }
                        group.addTask {
                            for try await buffer in targetIn {
                                try await clientOut.write(buffer)
                                publisher.submit(toClient.feed(buffer))
                            }
                            clientOut.finish()
                        }
                        group.addTask {
                            // Rows that come one by one become a snapshot once the stream goes quiet.
                            while true {
                                try await Task.sleep(for: self.flushAfter / 2)
                                publisher.submit(toTarget.flushIfQuiet(for: self.flushAfter) + toClient.flushIfQuiet(for: self.flushAfter))
                            }
                        }
                        // Both directions ended (or one failed): the flush ticker goes too.
                        var ended = 0
                        while ended < 2 {
                            try await group.next()
                            ended += 1
                        }
                        group.cancelAll()
                    }
                }
            }
        } catch {
            context.logger.info("Race tap connection ended", metadata: ["source": "\(context.name)", "peer": "\(peer)", "error.type": "\(error)"])
        }
        publisher.submit(toTarget.finish() + toClient.finish())
    }
}

/// One direction's decoder, shared by the relay and the flush ticker.
final class TapDecoder: Sendable {
    private let state = Mutex((decoder: StandingsDecoder(), lastData: ContinuousClock.now))

    func feed(_ buffer: ByteBuffer) -> [Snapshot] {
        self.state.withLock { state in
            state.lastData = .now
            return state.decoder.feed(buffer.readableBytesView)
        }
    }

    func flushIfQuiet(for quiet: Duration) -> [Snapshot] {
        self.state.withLock { state in
            ContinuousClock.now - state.lastData >= quiet ? state.decoder.flush() : []
        }
    }

    func finish() -> [Snapshot] {
        self.state.withLock { $0.decoder.finish() }
    }
}
