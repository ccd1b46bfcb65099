import Crypto
import Foundation
import NIOCore
import NIOWebSocket

/// The first handler of every HTTP connection: reads the request head itself and, when it is a
/// plain WebSocket upgrade the hub accepts, answers `101`, installs the frame codec and the
/// connection's handlers, and leaves. Anything else (HTTP requests, upgrades it is unsure of,
/// refusals, JWTs to verify) is handed, bytes and all, to the full NIO HTTP pipeline that
/// `handOver` installs, which then behaves exactly as it would have without this handler.
///
/// Why: NIO's upgrade path (the HTTP codec, the upgrade handler, four handlers removed through
/// futures, generic metadata looked up per connection) was about a third of the hub's CPU per
/// new WebSocket; this path is one parse, one write and two handlers.
final class WebSocketUpgradeSniffer: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer

    /// What the hub does with an upgrade it takes: extra response header lines (each ending in
    /// CRLF) and the handlers to add after the frame codec.
    struct Upgrade {
        var extraResponseHeaders: String = ""
        let install: (any Channel) throws -> Void
    }

    private let maxFrameSize: Int
    /// The hub's answer to an upgrade request; nil leaves it to the full pipeline.
    private let decide: (UpgradeRequestHead) -> Upgrade?
    /// Installs the full HTTP pipeline after this handler; its future says how the connection went.
    private let handOver: (any Channel) throws -> EventLoopFuture<HubChannel.UpgradeResult>
    private let result: EventLoopPromise<HubChannel.UpgradeResult>
    private var received: ByteBuffer?
    private var decided = false

    init(
        maxFrameSize: Int, result: EventLoopPromise<HubChannel.UpgradeResult>,
        decide: @escaping (UpgradeRequestHead) -> Upgrade?,
        handOver: @escaping (any Channel) throws -> EventLoopFuture<HubChannel.UpgradeResult>
    ) {
        self.maxFrameSize = maxFrameSize
        self.result = result
        self.decide = decide
        self.handOver = handOver
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var bytes = self.unwrapInboundIn(data)
        guard !self.decided else { return context.fireChannelRead(data) }
        if self.received == nil {
            self.received = bytes
        } else {
            self.received!.writeBuffer(&bytes)
        }
        let reading = self.received!.withUnsafeReadableBytes { UpgradeRequestHead.read($0) }
        switch reading {
        case .incomplete:
            return
        case .other:
            self.handOverConnection(context: context)
        case .head(let head, let length):
            guard let key = head.webSocketKey, let upgrade = self.decide(head) else {
                return self.handOverConnection(context: context)
            }
            self.upgrade(context: context, key: key, upgrade: upgrade, headLength: length)
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        // Before a whole head came, the peer stopped sending, or the server is shutting down: there is no
        // request to answer, so the connection just closes (its upgrade result fails in `channelInactive`).
        if !self.decided, event is ChannelShouldQuiesceEvent || (event as? ChannelEvent) == .inputClosed {
            return context.close(promise: nil)
        }
        context.fireUserInboundEventTriggered(event)
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.giveUp(ChannelError.eof)
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.giveUp(ChannelError.ioOnClosedChannel)
    }

    /// The connection ended (or the pipeline went away) before a decision.
    private func giveUp(_ error: any Error) {
        guard !self.decided else { return }
        self.decided = true
        self.result.fail(error)
    }

    private func upgrade(context: ChannelHandlerContext, key: String, upgrade: Upgrade, headLength: Int) {
        self.decided = true
        var response = context.channel.allocator.buffer(capacity: 160)
        response.writeStaticString("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: upgrade\r\nSec-WebSocket-Accept: ")
        response.writeString(Self.acceptValue(key: key))
        response.writeStaticString("\r\n")
        response.writeString(upgrade.extraResponseHeaders)
        response.writeStaticString("\r\n")
        context.writeAndFlush(NIOAny(response), promise: nil)
        do {
            try context.pipeline.syncOperations.addHandlers(
                [WebSocketFrameEncoder(), ByteToMessageHandler(WebSocketFrameDecoder(maxFrameSize: self.maxFrameSize))],
                position: .after(self))
            try upgrade.install(context.channel)
        } catch {
            self.result.fail(error)
            context.close(promise: nil)
            return
        }
        self.result.succeed(.websocket)
        // Frames the client sent right behind its request go to the decoder just added.
        var rest = self.received.take()!
        rest.moveReaderIndex(forwardBy: headLength)
        if rest.readableBytes > 0 { context.fireChannelRead(NIOAny(rest)) }
        context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
    }

    private func handOverConnection(context: ChannelHandlerContext) {
        self.decided = true
        do {
            try self.handOver(context.channel).cascade(to: self.result)
        } catch {
            self.result.fail(error)
            context.close(promise: nil)
            return
        }
        if let bytes = self.received.take() { context.fireChannelRead(NIOAny(bytes)) }
        context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
    }

    /// RFC 6455 §4.2.2: base64 of the SHA-1 of the key and the protocol's GUID.
    static func acceptValue(key: String) -> String {
        Data(Insecure.SHA1.hash(data: Data((key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").utf8))).base64EncodedString()
    }
}
