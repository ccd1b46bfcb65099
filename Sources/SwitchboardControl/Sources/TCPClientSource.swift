import Foundation
import Logging
import NIOCore
import NIOPosix
import SwitchboardCore

/// `tcp-client`: connects out to a TCP data server (seed 000's "data server") and ingests its
/// lines — JSON, `{"topic","data"}`, or base64 of either (see ``SourceLine``). While it cannot
/// connect, or after the peer closed, it is `failed` with the reason and retries with back-off.
///
/// Params: `host` (default 127.0.0.1), `port` (required), `backoff_ms` (default 500),
/// `max_backoff_ms` (default 30000), `max_line_bytes` (default 262144).
struct TCPClientSource: SourceDriver {
    let host: String
    let port: Int
    let backoff: Backoff
    let maxLineBytes: Int

    init(params: JSONValue) throws(HubError) {
        var params = try SourceParams(params, kind: "tcp-client")
        self.host = try params.string("host") ?? "127.0.0.1"
        guard !self.host.isEmpty else { throw .badRequest("tcp-client param 'host' must not be empty") }
        guard let port = try params.optionalInteger("port", in: 1...65535) else {
            throw .badRequest("tcp-client param 'port' is required: the TCP port of the data server (1 … 65535)")
        }
        self.port = port
        let initial = try params.optionalInteger("backoff_ms", in: 10...60_000) ?? 500
        let maximum = try params.optionalInteger("max_backoff_ms", in: initial...3_600_000) ?? max(30_000, initial)
        self.backoff = Backoff(initial: .milliseconds(initial), maximum: .milliseconds(maximum))
        self.maxLineBytes = try params.optionalInteger("max_line_bytes", in: 64...(16 << 20)) ?? 256 * 1024
        try params.rejectUnknown()
    }

    func descriptor(title: String) -> JSONValue? { nil }

    var address: String { "\(self.host):\(self.port)" }

    func run(_ context: SourceContext) async {
        var backoff = self.backoff
        var failed = false
        while !Task.isCancelled {
            let started = ContinuousClock.Instant.now
            var reason: String
            do {
                let channel = try await self.connect()
                if failed { context.report(.running) }
                failed = false
                reason = "connection to \(self.address) closed by the server"
                do {
                    try await channel.executeThenClose { inbound, _ in
                        for try await line in inbound { await self.ingest(line, context: context) }
                    }
                } catch {
                    reason = "connection to \(self.address) failed: \(error)"
                }
            } catch let error as NIOConnectionError {
                // The first attempt's error says it ("Connection refused"); the wrapper adds only noise.
                reason = "cannot connect to \(self.address): \(error.connectionErrors.first.map { "\($0.error)" } ?? "\(error)")"
            } catch {
                reason = "cannot connect to \(self.address): \(error)"
            }
            if Task.isCancelled { return }
            context.report(.failed(reason))
            failed = true
            do { try await Task.sleep(for: backoff.next(afterRunning: .now - started)) } catch { return }
        }
    }

    func connect() async throws -> NIOAsyncChannel<ByteBuffer, ByteBuffer> {
        let maxLineBytes = self.maxLineBytes
        return try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connectTimeout(.seconds(5))
            .connect(host: self.host, port: self.port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(LineSplitter(maxLength: maxLineBytes)))
                    return try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
    }

    func ingest(_ line: ByteBuffer, context: SourceContext) async {
        let text = String(buffer: line)
        guard !text.trimmingCharacters(in: .whitespaces).isEmpty else { return }
        do {
            let parsed = try SourceLine(text, allowBase64: true)
            await context.publish(buffer: parsed.data, to: parsed.topic)
        } catch {
            context.logger.error(
                "tcp-client source received a line that is not a message; skipped",
                metadata: ["source": "\(context.name)", "error.type": "\(error.code)", "error.message": "\(error.message)"]
            )
        }
    }
}

/// Splits a byte stream into lines at `\n` (dropping a trailing `\r`); a line over `maxLength` closes the connection.
struct LineSplitter: ByteToMessageDecoder {
    typealias InboundOut = ByteBuffer

    struct LineTooLong: Error, CustomStringConvertible {
        let maxLength: Int
        var description: String { "a line is longer than \(self.maxLength) bytes" }
    }

    let maxLength: Int

    mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let newline = buffer.readableBytesView.firstIndex(of: UInt8(ascii: "\n")) else {
            if buffer.readableBytes > self.maxLength { throw LineTooLong(maxLength: self.maxLength) }
            return .needMoreData
        }
        var line = buffer.readSlice(length: newline - buffer.readerIndex)!
        buffer.moveReaderIndex(forwardBy: 1)
        if line.readableBytesView.last == UInt8(ascii: "\r") { line.moveWriterIndex(to: line.writerIndex - 1) }
        context.fireChannelRead(Self.wrapInboundOut(line))
        return .continue
    }

    mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws -> DecodingState {
        while try self.decode(context: context, buffer: &buffer) == .continue {}
        if buffer.readableBytes > 0, let rest = buffer.readSlice(length: buffer.readableBytes) {
            context.fireChannelRead(Self.wrapInboundOut(rest))
        }
        return .needMoreData
    }
}
