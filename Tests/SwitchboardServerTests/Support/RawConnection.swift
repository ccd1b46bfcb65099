import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// A plain TCP connection for tests that write requests byte for byte and look at every byte
/// that comes back.
struct RawConnection {
    /// Keeps every byte the connection receives.
    final class ByteCollector: ChannelInboundHandler, Sendable {
        typealias InboundIn = ByteBuffer
        let received = NIOLockedValueBox([UInt8]())
        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let buffer = Self.unwrapInboundIn(data)
            self.received.withLockedValue { $0 += buffer.readableBytesView }
        }
    }

    let channel: any Channel
    let collector: ByteCollector

    static func connect(port: Int) async throws -> RawConnection {
        let collector = ByteCollector()
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelInitializer { channel in channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(collector) } }
            .connect(host: "127.0.0.1", port: port).get()
        return RawConnection(channel: channel, collector: collector)
    }

    var received: [UInt8] { self.collector.received.withLockedValue { $0 } }
    var receivedText: String { String(decoding: self.received, as: UTF8.self) }

    func write(_ text: String) async throws {
        try await self.write(Array(text.utf8))
    }

    func write(_ bytes: [UInt8]) async throws {
        try await self.channel.writeAndFlush(ByteBuffer(bytes: bytes))
    }

    /// Waits (at most `timeout`) until the bytes received so far satisfy `done`; returns them either way.
    @discardableResult
    func waitFor(timeout: Duration = .seconds(10), _ done: ([UInt8]) -> Bool) async throws -> [UInt8] {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if done(self.received) { break }
            try await Task.sleep(for: .milliseconds(10))
        }
        return self.received
    }

    /// Waits until the received text contains `text`.
    @discardableResult
    func waitFor(text: String, timeout: Duration = .seconds(10)) async throws -> String {
        let bytes = try await self.waitFor(timeout: timeout) { String(decoding: $0, as: UTF8.self).contains(text) }
        return String(decoding: bytes, as: UTF8.self)
    }

    func close() async {
        try? await self.channel.close()
    }
}
