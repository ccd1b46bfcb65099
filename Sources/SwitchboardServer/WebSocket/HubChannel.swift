import HTTPTypes
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import NIOHTTP1
import NIOHTTPTypes
import NIOHTTPTypesHTTP1
import NIOWebSocket
import SwitchboardCore

/// The HTTP/1 child channel of the hub: plain requests go to the Hummingbird
/// router; WebSocket upgrades get a ``WebSocketConnection``, a synchronous NIO
/// handler, instead of an async per-connection task. Every connection starts with
/// a ``WebSocketUpgradeSniffer``: plain upgrades are taken there, everything else
/// goes through NIO's HTTP pipeline below.
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
            try channel.syncOptions?.setOption(ChannelOptions.recvAllocator, value: ReceiveBuffers.allocator)
            let result = channel.eventLoop.makePromise(of: UpgradeResult.self)
            let sniffer = WebSocketUpgradeSniffer(
                maxFrameSize: self.webSockets.maxFrameSize, result: result,
                decide: { head in self.fastUpgrade(head, logger: logger) },
                handOver: { channel in try self.configureHTTPPipeline(on: channel, logger: logger) })
            try channel.pipeline.syncOperations.addHandler(sniffer)
            return Value(upgradeResult: result.futureResult, channel: channel)
        }
    }

    /// How a plain upgrade request the sniffer read is taken, without NIO's HTTP pipeline; nil
    /// leaves it to that pipeline (unknown paths are refused there, JWTs verified there).
    private func fastUpgrade(_ head: UpgradeRequestHead, logger: Logger) -> WebSocketUpgradeSniffer.Upgrade? {
        let webSockets = self.webSockets
        let (path, query) = URIParts.split(head.uri)
        if let mqtt = webSockets.mqtt, MQTTWebSocket.matches(uri: head.uri) {
            // MQTT clients present their credentials in CONNECT.
            let extra = MQTTWebSocket.offersMQTT(head.values("sec-websocket-protocol")) ? "Sec-WebSocket-Protocol: mqtt\r\n" : ""
            return .init(extraResponseHeaders: extra) { try mqtt.installOverWebSocket(on: $0) }
        }
        let presented = PresentedCredentials(authorization: head.first("authorization"), queryToken: query["token"], cookie: head.first("cookie"))
        guard let (route, common) = WebSocketRoute.parse(path: path, query: query),
            let outcome = presented.resolveNow(with: webSockets.authenticator)
        else { return nil }
        let access = webSockets.access(outcome, origin: head.first("origin"), host: head.first("host"))
        return .init { try webSockets.install(on: $0, route: route, common: common, access: access, logger: logger) }
    }

    /// NIO's HTTP/1 server pipeline with its WebSocket upgrader: every request the sniffer does not take.
    private func configureHTTPPipeline(on channel: any Channel, logger: Logger) throws -> EventLoopFuture<UpgradeResult> {
        let webSockets = self.webSockets
        let upgradeAttempted = NIOLoopBoundBox(false, eventLoop: channel.eventLoop)
        let access = NIOLoopBoundBox(PresentedCredentials.Outcome.refused(PresentedCredentials.missing), eventLoop: channel.eventLoop)
        // The route as parsed when deciding to upgrade, installed after the upgrade.
        let routed = NIOLoopBoundBox<(WebSocketRoute, WebSocketRoute.Common)?>(nil, eventLoop: channel.eventLoop)
        let upgrader = NIOTypedWebSocketServerUpgrader<UpgradeResult>(
            maxFrameSize: webSockets.maxFrameSize,
            enableAutomaticErrorHandling: false,
            shouldUpgrade: { channel, head in
                upgradeAttempted.value = true
                let (path, query) = URIParts.split(head.uri)
                routed.value = WebSocketRoute.parse(path: path, query: query)
                guard routed.value != nil || (webSockets.mqtt != nil && MQTTWebSocket.matches(uri: head.uri)) else {
                    return channel.eventLoop.makeSucceededFuture(nil)
                }
                let presented = PresentedCredentials(
                    authorization: head.headers.first(name: "authorization"), queryToken: query["token"],
                    cookie: head.headers.first(name: "cookie"))
                let origin = head.headers.first(name: "origin"), host = head.headers.first(name: "host")
                let check = { @Sendable (outcome: PresentedCredentials.Outcome) -> HTTPHeaders in
                    access.value = webSockets.access(outcome, origin: origin, host: host)
                    return MQTTWebSocket.responseHeaders(for: head)
                }
                // Tokens and sessions are checked right here; only a JWT needs a task.
                if let outcome = presented.resolveNow(with: webSockets.authenticator) {
                    return channel.eventLoop.makeSucceededFuture(check(outcome))
                }
                let promise = channel.eventLoop.makePromise(of: PresentedCredentials.Outcome.self)
                promise.completeWithTask { await presented.resolve(with: webSockets.authenticator) }
                return promise.futureResult.map(check)
            },
            upgradePipelineHandler: { channel, head in
                channel.eventLoop.makeCompletedFuture {
                    if let mqtt = webSockets.mqtt, MQTTWebSocket.matches(uri: head.uri) {
                        try mqtt.installOverWebSocket(on: channel)
                        return UpgradeResult.websocket
                    }
                    guard let (route, common) = routed.value else { throw ChannelError.inappropriateOperationForState }
                    try webSockets.install(on: channel, route: route, common: common, access: access.value, logger: logger)
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
        return try channel.pipeline.syncOperations.configureUpgradableHTTPServerPipeline(configuration: configuration)
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
                // The connection handler does all the work on the event loop (``HTTPListener``
                // starts no task for it at all); shutdown closes it through the `ConnectionRegistry`.
                return
            }
        } catch {
            logger.debug("Connection ended", metadata: ["error.type": "\(error)"])
        }
    }
}
