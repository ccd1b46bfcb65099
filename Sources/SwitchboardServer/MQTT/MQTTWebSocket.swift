import NIOCore
import NIOHTTP1
import NIOWebSocket

/// MQTT over WebSocket on `/mqtt` (MQTT 3.1.1 §6): the subprotocol `mqtt`,
/// packets in binary frames. Frames are only a carrier: a packet may span
/// frames and a frame may hold several packets, so the frames' bytes are fed
/// to the same decoder as a TCP stream.
enum MQTTWebSocket {
    static let path = "/mqtt"

    /// Whether an upgrade request is for MQTT.
    static func matches(uri: String) -> Bool {
        let path = uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)[0]
        return path == Self.path || path == Self.path + "/"
    }

    /// The upgrade answer's extra headers: the `mqtt` subprotocol when the client offered it
    /// (browsers refuse a connection whose subprotocol is not echoed).
    static func responseHeaders(for head: HTTPRequestHead) -> HTTPHeaders {
        guard Self.matches(uri: head.uri) else { return HTTPHeaders() }
        if Self.offersMQTT(head.headers[canonicalForm: "sec-websocket-protocol"]) { return HTTPHeaders([("Sec-WebSocket-Protocol", "mqtt")]) }
        return HTTPHeaders()
    }

    /// Whether the client offered the `mqtt` subprotocol (`Sec-WebSocket-Protocol` values, split).
    static func offersMQTT(_ offered: [Substring]) -> Bool {
        offered.contains { $0.lowercased() == "mqtt" }
    }
}

extension MQTTEndpoint {
    /// Turns an upgraded WebSocket channel into an MQTT connection.
    func installOverWebSocket(on channel: any Channel) throws {
        try channel.syncOptions?.setOption(.socketOption(.tcp_nodelay), value: 1)
        let pipeline = channel.pipeline.syncOperations
        try pipeline.addHandler(MQTTWebSocketFrames())
        try self.addHandlers(to: pipeline, transport: "mqtt-ws")
    }
}

/// Binary frames in, bytes out; bytes in, binary frames out. Answers pings and closes.
final class MQTTWebSocketFrames: ChannelDuplexHandler {
    typealias InboundIn = WebSocketFrame
    typealias InboundOut = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = WebSocketFrame

    private var closing = false

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = Self.unwrapInboundIn(data)
        switch frame.opcode {
        case .binary, .continuation:
            guard !self.closing else { return }
            context.fireChannelRead(Self.wrapInboundOut(frame.unmaskedData))
        case .ping:
            context.writeAndFlush(Self.wrapOutboundOut(WebSocketFrame(fin: true, opcode: .pong, data: frame.unmaskedData)), promise: nil)
        case .pong:
            break
        case .connectionClose:
            self.close(context: context, code: .normalClosure)
        default:
            // [MQTT-6.0.0-1]: anything but binary data frames closes the connection.
            self.close(context: context, code: .unacceptableData)
        }
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let bytes = Self.unwrapOutboundIn(data)
        guard bytes.readableBytes > 0 else {
            promise?.succeed()
            return
        }
        context.write(Self.wrapOutboundOut(WebSocketFrame(fin: true, opcode: .binary, data: bytes)), promise: promise)
    }

    private func close(context: ChannelHandlerContext, code: WebSocketErrorCode) {
        guard !self.closing else { return }
        self.closing = true
        var payload = context.channel.allocator.buffer(capacity: 2)
        payload.write(webSocketErrorCode: code)
        let channel = context.channel
        context.writeAndFlush(Self.wrapOutboundOut(WebSocketFrame(fin: true, opcode: .connectionClose, data: payload)))
            .whenComplete { _ in channel.close(promise: nil) }
    }
}
