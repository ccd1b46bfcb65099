import Foundation
import NIOCore
import NIOPosix
import SwitchboardMQTT

/// A raw MQTT client for tests, over a real socket: sends packets (or any bytes)
/// and reads decoded packets, so tests can break the protocol on purpose.
final class TestMQTTClient: Sendable {
    enum Event: Sendable {
        case packet(Packet)
        /// The server sent bytes that are not MQTT.
        case undecodable(String)
    }

    let channel: any Channel
    private let box: Box

    private final class Box: @unchecked Sendable {
        var iterator: AsyncStream<Event>.AsyncIterator
        init(_ iterator: AsyncStream<Event>.AsyncIterator) { self.iterator = iterator }
    }

    private final class Collector: ChannelInboundHandler, @unchecked Sendable {
        typealias InboundIn = ByteBuffer
        let continuation: AsyncStream<Event>.Continuation
        var received = ByteBuffer()
        init(_ continuation: AsyncStream<Event>.Continuation) { self.continuation = continuation }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            var bytes = Self.unwrapInboundIn(data)
            self.received.writeBuffer(&bytes)
            do {
                while let packet = try PacketDecoder.decode(&self.received, maxPacketSize: 1 << 24) {
                    self.continuation.yield(.packet(packet))
                }
            } catch {
                self.continuation.yield(.undecodable("\(error)"))
                context.close(promise: nil)
            }
        }

        func channelInactive(context: ChannelHandlerContext) { self.continuation.finish() }
        func errorCaught(context: ChannelHandlerContext, error: any Error) { context.close(promise: nil) }
    }

    init(port: Int) async throws {
        let (stream, continuation) = AsyncStream.makeStream(of: Event.self)
        self.box = Box(stream.makeAsyncIterator())
        self.channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(Collector(continuation)) }
            }
            .connect(host: "127.0.0.1", port: port).get()
    }

    /// Connects and CONNECTs; returns the CONNACK.
    static func connected(port: Int, _ connect: Connect) async throws -> (TestMQTTClient, ConnAck) {
        let client = try await TestMQTTClient(port: port)
        try await client.send(.connect(connect))
        guard case .connack(let ack) = try await client.next() else { throw TestWebSocket.TimedOut(description: "no CONNACK") }
        return (client, ack)
    }

    func send(_ packet: Packet) async throws {
        try await self.channel.writeAndFlush(packet.bytes)
    }

    func sendRaw(_ bytes: [UInt8]) async throws {
        try await self.channel.writeAndFlush(ByteBuffer(bytes: bytes))
    }

    /// The next packet; `nil` once the server closed the connection; throws after `timeout`.
    func next(timeout: Duration = .seconds(10)) async throws -> Packet? {
        let box = self.box
        let event = try await withThrowingTaskGroup(of: Event?.self) { group in
            group.addTask { await box.iterator.next() }
            group.addTask {
                try await Task.sleep(for: timeout)
                throw TestWebSocket.TimedOut(description: "no MQTT packet within \(timeout)")
            }
            defer { group.cancelAll() }
            return try await group.next()!
        }
        switch event {
        case .packet(let packet): return packet
        case .undecodable(let reason): throw TestWebSocket.TimedOut(description: "server sent bytes that are not MQTT: \(reason)")
        case nil: return nil
        }
    }

    /// The next PUBLISH, skipping acknowledgements.
    func nextPublish(timeout: Duration = .seconds(10)) async throws -> Publish {
        while true {
            switch try await self.next(timeout: timeout) {
            case .publish(let publish): return publish
            case nil: throw TestWebSocket.Closed()
            default: continue
            }
        }
    }

    /// Waits until the server closes the connection, ignoring any packets before.
    func waitForClose(timeout: Duration = .seconds(10)) async throws {
        while try await self.next(timeout: timeout) != nil {}
    }

    func close() async {
        try? await self.channel.close()
    }
}
