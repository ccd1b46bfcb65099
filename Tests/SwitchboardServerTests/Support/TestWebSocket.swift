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

    private enum UpgradeResult: Sendable {
        case websocket(any Channel)
        case notUpgraded
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

    /// Connects to `ws://127.0.0.1:<port><path>`; `receiveBuffer` shrinks SO_RCVBUF (for slow-client tests).
    static func connect(port: Int, path: String, receiveBuffer: Int? = nil) async throws -> TestWebSocket {
        let (stream, continuation) = AsyncStream.makeStream(of: Frame.self)
        var bootstrap = ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
        if let receiveBuffer {
            bootstrap = bootstrap.channelOption(.socketOption(.so_rcvbuf), value: SocketOptionValue(receiveBuffer))
        }
        let upgradeResult: EventLoopFuture<UpgradeResult> = try await bootstrap.connect(host: "127.0.0.1", port: port) { channel in
            channel.eventLoop.makeCompletedFuture {
                let upgrader = NIOTypedWebSocketClientUpgrader<UpgradeResult>(maxFrameSize: 1 << 24) { channel, _ in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(Collector(continuation))
                        return UpgradeResult.websocket(channel)
                    }
                }
                var headers = HTTPHeaders()
                headers.add(name: "Host", value: "127.0.0.1:\(port)")
                headers.add(name: "Content-Length", value: "0")
                let head = HTTPRequestHead(version: .http1_1, method: .GET, uri: path, headers: headers)
                let configuration = NIOTypedHTTPClientUpgradeConfiguration(
                    upgradeRequestHead: head, upgraders: [upgrader],
                    notUpgradingCompletionHandler: { channel in channel.eventLoop.makeCompletedFuture { UpgradeResult.notUpgraded } })
                return try channel.pipeline.syncOperations.configureUpgradableHTTPClientPipeline(
                    configuration: .init(upgradeConfiguration: configuration))
            }
        }
        guard case .websocket(let channel) = try await upgradeResult.get() else { throw Closed() }
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
