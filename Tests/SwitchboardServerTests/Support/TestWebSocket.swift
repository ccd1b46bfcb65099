import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOWebSocket

/// A WebSocket client for tests, over a real socket: frames arrive in an
/// async stream; ``stopReading()`` turns off reads so the hub sees a client
/// that never reads (its socket buffers fill, then the hub's queue).
final class TestWebSocket: Sendable {
    enum Frame: Sendable, Equatable {
        case text(String)
        case close(code: UInt16, reason: String)
    }

    struct Closed: Error {}
    struct TimedOut: Error, CustomStringConvertible {
        let description: String
    }

    let channel: any Channel
    private let frames: AsyncStream<Frame>
    private let iterator: IteratorBox

    private final class IteratorBox: @unchecked Sendable {
        var iterator: AsyncStream<Frame>.AsyncIterator
        init(_ iterator: AsyncStream<Frame>.AsyncIterator) { self.iterator = iterator }
    }

    private final class Collector: ChannelInboundHandler, @unchecked Sendable {
        typealias InboundIn = WebSocketFrame
        let continuation: AsyncStream<Frame>.Continuation
        var partial: ByteBuffer?

        init(_ continuation: AsyncStream<Frame>.Continuation) { self.continuation = continuation }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let frame = Self.unwrapInboundIn(data)
            switch frame.opcode {
            case .text, .continuation:
                var data = frame.unmaskedData
                if frame.fin && self.partial == nil {
                    self.continuation.yield(.text(String(buffer: data)))
                } else {
                    self.partial = self.partial ?? ByteBuffer()
                    self.partial!.writeBuffer(&data)
                    if frame.fin {
                        self.continuation.yield(.text(String(buffer: self.partial!)))
                        self.partial = nil
                    }
                }
            case .connectionClose:
                var data = frame.unmaskedData
                let code = data.readInteger(as: UInt16.self) ?? 1005
                self.continuation.yield(.close(code: code, reason: data.readString(length: data.readableBytes) ?? ""))
            case .ping:
                let pong = WebSocketFrame(fin: true, opcode: .pong, maskKey: .random(), data: frame.unmaskedData)
                context.writeAndFlush(NIOAny(pong), promise: nil)
            default:
                break
            }
        }

        func channelInactive(context: ChannelHandlerContext) {
            self.continuation.finish()
        }

        func errorCaught(context: ChannelHandlerContext, error: any Error) {
            context.close(promise: nil)
        }
    }

    private init(channel: any Channel, frames: AsyncStream<Frame>) {
        self.channel = channel
        self.frames = frames
        self.iterator = IteratorBox(frames.makeAsyncIterator())
    }

    /// Reads the HTTP upgrade answer itself, then installs the WebSocket codec and
    /// passes on whatever followed the answer in the same read (frames often do).
    private final class Handshake: ChannelInboundHandler, RemovableChannelHandler, @unchecked Sendable {
        typealias InboundIn = ByteBuffer
        let continuation: AsyncStream<Frame>.Continuation
        let upgraded: EventLoopPromise<Void>
        var received = ByteBuffer()

        init(_ continuation: AsyncStream<Frame>.Continuation, upgraded: EventLoopPromise<Void>) {
            self.continuation = continuation
            self.upgraded = upgraded
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            var bytes = Self.unwrapInboundIn(data)
            self.received.writeBuffer(&bytes)
            let text = String(buffer: self.received)
            guard let end = text.range(of: "\r\n\r\n") else { return }
            let headLength = text.utf8.distance(from: text.startIndex, to: end.upperBound)
            guard text.hasPrefix("HTTP/1.1 101") else {
                self.upgraded.fail(TimedOut(description: "upgrade refused: \(text.prefix(200))"))
                context.close(promise: nil)
                return
            }
            self.received.moveReaderIndex(forwardBy: headLength)
            let rest = self.received
            do {
                try context.pipeline.syncOperations.addHandlers([
                    WebSocketFrameEncoder(),
                    ByteToMessageHandler(WebSocketFrameDecoder(maxFrameSize: 1 << 24)),
                    Collector(self.continuation),
                ])
            } catch {
                self.upgraded.fail(error)
                return
            }
            self.upgraded.succeed()
            if rest.readableBytes > 0 { context.fireChannelRead(NIOAny(rest)) }
            context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
        }

        func channelInactive(context: ChannelHandlerContext) {
            self.upgraded.fail(Closed())
            self.continuation.finish()
        }
    }

    /// Connects to `ws://127.0.0.1:<port><path>`; `receiveBuffer` shrinks SO_RCVBUF (for slow-client tests).
    static func connect(port: Int, path: String, receiveBuffer: Int? = nil, headers: [String: String] = [:]) async throws -> TestWebSocket {
        let (stream, continuation) = AsyncStream.makeStream(of: Frame.self)
        var bootstrap = ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
        if let receiveBuffer {
            bootstrap = bootstrap.channelOption(.socketOption(.so_rcvbuf), value: SocketOptionValue(receiveBuffer))
        }
        let channel = try await bootstrap.connect(host: "127.0.0.1", port: port).get()
        let upgraded = channel.eventLoop.makePromise(of: Void.self)
        try await channel.pipeline.addHandler(Handshake(continuation, upgraded: upgraded)).get()
        let key = Data((0..<16).map { _ in UInt8.random(in: 0...255) }).base64EncodedString()
        let request = "GET \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            + "Sec-WebSocket-Key: \(key)\r\nSec-WebSocket-Version: 13\r\n"
            + headers.map { "\($0.key): \($0.value)\r\n" }.joined() + "\r\n"
        try await channel.writeAndFlush(ByteBuffer(string: request))
        try await upgraded.futureResult.get()
        return TestWebSocket(channel: channel, frames: stream)
    }

    /// Sends a text frame.
    func send(_ text: String) async throws {
        let frame = WebSocketFrame(fin: true, opcode: .text, maskKey: .random(), data: ByteBuffer(string: text))
        try await self.channel.writeAndFlush(frame)
    }

    /// The next frame, or throws after `timeout`.
    func next(timeout: Duration = .seconds(10)) async throws -> Frame {
        let box = self.iterator
        return try await withThrowingTaskGroup(of: Frame?.self) { group in
            group.addTask { await box.iterator.next() }
            group.addTask {
                try await Task.sleep(for: timeout)
                throw TimedOut(description: "no frame within \(timeout)")
            }
            defer { group.cancelAll() }
            guard let frame = try await group.next()! else { throw Closed() }
            return frame
        }
    }

    /// The next text frame parsed as a JSON object; a close frame throws.
    func nextJSON(timeout: Duration = .seconds(10)) async throws -> [String: Any] {
        switch try await self.next(timeout: timeout) {
        case .text(let text):
            guard let object = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] else {
                throw TimedOut(description: "not a JSON object: \(text)")
            }
            return object
        case .close(let code, let reason):
            throw TimedOut(description: "closed \(code) \(reason)")
        }
    }

    /// Sends a JSON object.
    func send(json: [String: Any]) async throws {
        try await self.send(String(decoding: try JSONSerialization.data(withJSONObject: json), as: UTF8.self))
    }

    func stopReading() async throws {
        try await self.channel.setOption(.autoRead, value: false)
    }

    func resumeReading() async throws {
        try await self.channel.setOption(.autoRead, value: true)
        self.channel.read()
    }

    func close() async {
        let frame = WebSocketFrame(fin: true, opcode: .connectionClose, maskKey: .random(), data: ByteBuffer(integer: UInt16(1000)))
        try? await self.channel.writeAndFlush(frame)
        try? await self.channel.close()
    }
}
