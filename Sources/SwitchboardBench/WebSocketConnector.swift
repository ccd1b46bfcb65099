import NIOCore
import NIOHTTP1
import NIOPosix
import NIOWebSocket

/// Opens client WebSocket connections with SwiftNIO's client upgrader and installs
/// the benchmark's own handler once the upgrade has succeeded.
struct WebSocketConnector: Sendable {
    let url: WebSocketURL
    let sockets: ClientSockets
    let maxFrameSize: Int

    /// Bounds the TCP connect and the upgrade together.
    var timeout: TimeAmount { sockets.timeout }

    init(url: WebSocketURL, sourceAddresses: Int, timeout: TimeAmount, maxFrameSize: Int) throws {
        self.url = url
        sockets = try ClientSockets(authority: url.authority, sourceAddresses: sourceAddresses, timeout: timeout)
        self.maxFrameSize = maxFrameSize
    }

    /// Connects on `eventLoop` and returns the upgraded channel.
    ///
    /// - Parameters:
    ///   - number: the connection's number, which picks its source address.
    ///   - rawFrames: whether the handler reads raw bytes (`ByteBuffer`) and splits
    ///     frames itself, instead of reading NIO's `WebSocketFrame`s.
    ///   - install: makes the application handler; runs on the channel's event loop
    ///     once the WebSocket handlers are in place.
    func connect(
        number: Int,
        on eventLoop: any EventLoop,
        rawFrames: Bool = false,
        install: @escaping @Sendable () -> any ChannelHandler
    ) async throws -> any Channel {
        let started = NIODeadline.now()
        let bootstrap = try sockets.bootstrap(number: number, on: eventLoop)
        let url = self.url, timeout = self.timeout, maxFrameSize = self.maxFrameSize
        let upgraded: EventLoopFuture<any Channel> = try await bootstrap.connect(to: sockets.address) { channel in
            channel.eventLoop.makeCompletedFuture {
                let upgrader = NIOTypedWebSocketClientUpgrader<any Channel>(
                    maxFrameSize: maxFrameSize,
                    // Our handlers answer pings and closes themselves; one handler
                    // less on the per-frame path.
                    enableAutomaticErrorHandling: false,
                    upgradePipelineHandler: { channel, _ in
                        channel.eventLoop.makeCompletedFuture {
                            let operations = channel.pipeline.syncOperations
                            if rawFrames {
                                // The upgrader always adds NIO's decoder, which allocates and
                                // sends one `WebSocketFrame` down the pipeline per frame: too slow
                                // for the subscribers' millions of frames per second. Our handler
                                // goes in front of it, so it sees every byte (the upgrade handler
                                // holds back what arrived early until we are done), and the
                                // decoder, which will never see one, goes.
                                let decoder = try operations.handler(type: ByteToMessageHandler<WebSocketFrameDecoder>.self)
                                try operations.addHandler(install(), position: .before(decoder))
                                operations.removeHandler(decoder, promise: nil)
                            } else {
                                try operations.addHandler(install())
                            }
                            return channel
                        }
                    }
                )
                var headers = HTTPHeaders()
                headers.add(name: "Host", value: url.hostHeader)
                // Without it NIO's encoder would send the empty body chunked.
                headers.add(name: "Content-Length", value: "0")
                let configuration = NIOTypedHTTPClientUpgradeConfiguration<any Channel>(
                    upgradeRequestHead: HTTPRequestHead(version: .http1_1, method: .GET, uri: url.requestURI, headers: headers),
                    upgraders: [upgrader],
                    notUpgradingCompletionHandler: { channel in
                        channel.close(promise: nil)
                        return channel.eventLoop.makeFailedFuture(BenchError.upgradeRefused(url.description))
                    }
                )
                var pipeline = NIOUpgradableHTTPClientPipelineConfiguration(upgradeConfiguration: configuration)
                // Frames the server sends in the same read as its 101 response (a
                // replay, a fast broadcast) must reach the frame decoder, not be dropped.
                pipeline.leftOverBytesStrategy = .forwardBytes
                let result = try channel.pipeline.syncOperations.configureUpgradableHTTPClientPipeline(configuration: pipeline)
                // A server that accepts but never answers must not hang the run:
                // closing the channel fails the upgrade.
                let timer = channel.eventLoop.scheduleTask(in: timeout) { channel.close(promise: nil) }
                result.whenComplete { _ in timer.cancel() }
                return result
            }
        }
        do {
            return try await upgraded.get()
        } catch where NIODeadline.now() >= started + timeout {
            // Our timer closed the channel; say so rather than how the close surfaced.
            throw BenchError.timedOut("no WebSocket upgrade within \(timeout.nanoseconds / 1_000_000) ms (\(error))")
        }
    }
}
