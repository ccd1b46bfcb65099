import Foundation
import NIOCore
import NIOPosix

/// A raw TCP line client for tests: send lines, read answer lines.
final class TestTCPClient: Sendable {
    let channel: any Channel
    private let lines: AsyncStream<String>
    private let box: Box

    private final class Box: @unchecked Sendable {
        var iterator: AsyncStream<String>.AsyncIterator
        init(_ iterator: AsyncStream<String>.AsyncIterator) { self.iterator = iterator }
    }

    private final class LineCollector: ChannelInboundHandler, @unchecked Sendable {
        typealias InboundIn = ByteBuffer
        let continuation: AsyncStream<String>.Continuation
        var pending = ""
        init(_ continuation: AsyncStream<String>.Continuation) { self.continuation = continuation }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            self.pending += String(buffer: Self.unwrapInboundIn(data))
            while let newline = self.pending.firstIndex(of: "\n") {
                self.continuation.yield(String(self.pending[..<newline]))
                self.pending = String(self.pending[self.pending.index(after: newline)...])
            }
        }

        func channelInactive(context: ChannelHandlerContext) { self.continuation.finish() }
    }

    init(port: Int) async throws {
        let (stream, continuation) = AsyncStream.makeStream(of: String.self)
        self.lines = stream
        self.box = Box(stream.makeAsyncIterator())
        self.channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(LineCollector(continuation)) }
            }
            .connect(host: "127.0.0.1", port: port).get()
    }

    func send(_ line: String) async throws {
        try await self.sendRaw(ByteBuffer(string: line + "\n"))
    }

    func sendRaw(_ bytes: ByteBuffer) async throws {
        try await self.channel.writeAndFlush(bytes)
    }

    /// The next line, or nil when the connection closed; throws after `timeout`.
    func nextLine(timeout: Duration = .seconds(10)) async throws -> String? {
        let box = self.box
        return try await withThrowingTaskGroup(of: String?.self) { group in
            group.addTask { await box.iterator.next() }
            group.addTask {
                try await Task.sleep(for: timeout)
                throw TestWebSocket.TimedOut(description: "no line within \(timeout)")
            }
            defer { group.cancelAll() }
            return try await group.next()!
        }
    }

    func nextJSON() async throws -> [String: Any] {
        guard let line = try await self.nextLine() else { throw TestWebSocket.Closed() }
        return (try JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any] ?? [:]
    }

    func close() async {
        try? await self.channel.close()
    }
}
