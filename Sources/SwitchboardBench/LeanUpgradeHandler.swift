import NIOCore
import NIOWebSocket

/// The WebSocket client handshake of `bench connect`, done by hand on the event loop: the
/// request is prepared once as bytes, the answer is checked for `101` and the expected
/// `Sec-WebSocket-Accept`, and then NIO's frame codec and `install()` take the connection.
///
/// Why not NIO's client upgrader, as the other benchmarks use: with its HTTP codec, the
/// handlers it adds and removes, and a task per connection around it, it cost the load
/// generator about 400 µs of its single core per connection, so that the benchmark measured
/// its own limit rather than the server's. A fixed key is fine here: the server only checks
/// its form, and the answer proves it computed the accept value.
final class LeanUpgradeHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer

    /// The request for `url`, with the RFC 6455 §1.3 sample key.
    static func request(for url: WebSocketURL) -> ByteBuffer {
        ByteBuffer(string: "GET \(url.requestURI) HTTP/1.1\r\nHost: \(url.hostHeader)\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
    }

    /// The accept value for that key (RFC 6455 §1.3).
    static let expectedAccept = Array("s3pPLMBiTxaQ9kYGzzhZRbK+xOo=".utf8)
    private static let headEnd: [UInt8] = [13, 10, 13, 10]

    /// Where `needle` first starts in `bytes`, from its start. By hand: the generic `firstRange(of:)` took a quarter of
    /// the load generator's core here.
    static func offset(of needle: [UInt8], in bytes: ByteBufferView) -> Int? {
        bytes.withUnsafeBytes { haystack in
            guard haystack.count >= needle.count else { return nil }
            for start in 0...(haystack.count - needle.count) where haystack[start] == needle[0] {
                if needle.indices.allSatisfy({ haystack[start + $0] == needle[$0] }) { return start }
            }
            return nil
        }
    }

    /// A server that sends more than this without ending its answer's head is refused.
    private static let maxHeadBytes = 16 * 1024

    private let request: ByteBuffer
    private let maxFrameSize: Int
    private let install: () -> any ChannelHandler
    private let upgraded: EventLoopPromise<Void>
    private var received = ByteBuffer()
    /// Whether `upgraded` has been completed (a close after a failure must not complete it twice).
    private var settled = false

    init(request: ByteBuffer, maxFrameSize: Int, upgraded: EventLoopPromise<Void>, install: @escaping () -> any ChannelHandler) {
        self.request = request
        self.maxFrameSize = maxFrameSize
        self.upgraded = upgraded
        self.install = install
    }

    func channelActive(context: ChannelHandlerContext) {
        context.writeAndFlush(NIOAny(self.request), promise: nil)
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var bytes = unwrapInboundIn(data)
        self.received.writeBuffer(&bytes)
        let view = self.received.readableBytesView
        guard let end = Self.offset(of: Self.headEnd, in: view) else {
            if view.count > Self.maxHeadBytes { self.fail(context, BenchError.upgradeRefused("answer head over 16 KiB")) }
            return
        }
        let head = view.prefix(end + Self.headEnd.count)
        guard head.starts(with: "HTTP/1.1 101".utf8), Self.offset(of: Self.expectedAccept, in: head) != nil else {
            let firstLine = String(decoding: head.prefix { $0 != 13 }, as: UTF8.self)
            self.fail(context, BenchError.upgradeRefused("the server answered '\(firstLine)'"))
            return
        }
        self.received.moveReaderIndex(forwardBy: head.count)
        do {
            let operations = context.pipeline.syncOperations
            try operations.addHandlers(
                [
                    ByteToMessageHandler(WebSocketFrameDecoder(maxFrameSize: self.maxFrameSize)), WebSocketFrameEncoder(),
                    self.install(),
                ],
                position: .after(self))
        } catch {
            self.fail(context, error)
            return
        }
        self.settled = true
        self.upgraded.succeed()
        // Frames that came with the answer go to the decoder just added.
        if self.received.readableBytes > 0 { context.fireChannelRead(NIOAny(self.received)) }
        self.received = ByteBuffer()
        context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        if !self.settled {
            self.settled = true
            self.upgraded.fail(BenchError.upgradeRefused("connection closed before the upgrade"))
        }
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        self.fail(context, error)
    }

    private func fail(_ context: ChannelHandlerContext, _ error: any Error) {
        if !self.settled {
            self.settled = true
            self.upgraded.fail(error)
        }
        context.close(promise: nil)
    }
}
