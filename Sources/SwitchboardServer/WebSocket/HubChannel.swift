import HTTPTypes
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import NIOHTTP1
import NIOHTTPTypes
import NIOHTTPTypesHTTP1
import NIOWebSocket

/// The HTTP/1 child channel of the hub: plain requests go to the Hummingbird
/// router; WebSocket upgrades get a ``WebSocketConnection``, a synchronous NIO
/// handler, instead of an async per-connection task.
///
/// Why not hummingbird-websocket's handler: its outbound writer awaits once per
/// frame per connection (~10 µs a hop), and fan-out to thousands of connections
/// must instead write shared, pre-encoded frames on each event loop and flush
/// once per batch. The structure follows `HTTP1WebSocketUpgradeChannel`.
struct HubChannel: ServerChildChannel, HTTPChannelHandler {
    enum UpgradeResult: Sendable {
        case websocket
        case notUpgraded(NIOAsyncChannel<HTTPRequestPart, HTTPResponsePart>)
        /// An upgrade was asked for and refused (unknown path, bad headers): answered 400.
        case failedUpgrade(NIOAsyncChannel<HTTPRequestPart, HTTPResponsePart>)
    }

    struct Value: ServerChildChannelValue {
        let upgradeResult: EventLoopFuture<UpgradeResult>
        let channel: any Channel
    }

    let responder: HTTPChannelHandler.Responder
    let webSockets: WebSocketEndpoints
    let http1: HTTP1Channel.Configuration

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        channel.eventLoop.makeCompletedFuture {
            let webSockets = self.webSockets
            let upgradeAttempted = NIOLoopBoundBox(false, eventLoop: channel.eventLoop)
            let upgrader = NIOTypedWebSocketServerUpgrader<UpgradeResult>(
                maxFrameSize: webSockets.maxFrameSize,
                enableAutomaticErrorHandling: false,
                shouldUpgrade: { channel, head in
                    upgradeAttempted.value = true
                    return channel.eventLoop.makeSucceededFuture(WebSocketRoute.parse(uri: head.uri) == nil ? nil : HTTPHeaders())
                },
                upgradePipelineHandler: { channel, head in
                    channel.eventLoop.makeCompletedFuture {
                        guard let (route, common) = WebSocketRoute.parse(uri: head.uri) else { throw ChannelError.inappropriateOperationForState }
                        try webSockets.install(on: channel, route: route, common: common, logger: logger)
                        return UpgradeResult.websocket
                    }
                }
            )
            let upgradeConfiguration = NIOTypedHTTPServerUpgradeConfiguration(
                upgraders: [upgrader],
                notUpgradingCompletionHandler: { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(HTTP1ToHTTPServerCodec(secure: false))
                        try channel.pipeline.syncOperations.addHandlers(self.http1.additionalChannelHandlers())
                        try channel.pipeline.syncOperations.addHandler(
                            HTTPConnectionStateHandler(idleTimeout: self.http1.idleTimeout.map { .init($0) }, logger: logger))
                        let asyncChannel = try NIOAsyncChannel<HTTPRequestPart, HTTPResponsePart>(
                            wrappingChannelSynchronously: channel,
                            configuration: .init(isOutboundHalfClosureEnabled: true)
                        )
                        return upgradeAttempted.value ? UpgradeResult.failedUpgrade(asyncChannel) : UpgradeResult.notUpgraded(asyncChannel)
                    }
                }
            )
            var configuration = NIOUpgradableHTTPServerPipelineConfiguration<UpgradeResult>(upgradeConfiguration: upgradeConfiguration)
            configuration.enablePipelining = false
            configuration.enableErrorHandling = false
            configuration.enableResponseHeaderValidation = false
            configuration.decoderConfiguration.maxHeaderFieldSize = self.http1.httpDecoder.maxHeaderFieldSize
            configuration.decoderConfiguration.maxHeaderListSize = self.http1.httpDecoder.maxHeaderListSize
            configuration.decoderConfiguration.maxHeaderFieldCount = self.http1.httpDecoder.maxHeaderFieldCount
            let result = try channel.pipeline.syncOperations.configureUpgradableHTTPServerPipeline(configuration: configuration)
            return Value(upgradeResult: result, channel: channel)
        }
    }

    func handle(value: Value, logger: Logger) async {
        do {
            switch try await value.upgradeResult.get() {
            case .notUpgraded(let http1):
                await self.handleHTTP(asyncChannel: http1, logger: logger)
            case .failedUpgrade(let http1):
                try await http1.executeThenClose { _, outbound in
                    let body = ByteBuffer(string: #"{"error":{"code":"not_found","message":"no WebSocket endpoint here; use /ws, /ws/pub/<topic> or /ws/sub/<pattern>"}}"#)
                    let head = HTTPResponse(
                        status: .badRequest,
                        headerFields: [.connection: "close", .contentType: "application/json", .contentLength: "\(body.readableBytes)"])
                    try await outbound.write(contentsOf: [.head(head), .body(body), .end(nil)])
                }
            case .websocket:
                // The connection handler does all the work on the event loop. Returning
                // ends this task, which would otherwise sit (with its stack) on every idle
                // connection for its whole life; the channel stays open, and shutdown closes
                // it through the `ConnectionRegistry`.
                return
            }
        } catch {
            logger.debug("Connection ended", metadata: ["error.type": "\(error)"])
        }
    }
}
