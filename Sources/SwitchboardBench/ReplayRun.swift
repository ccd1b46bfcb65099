import NIOCore
import NIOWebSocket

/// One replay: connect with `since=0`, receive every message, in order, timed.
struct ReplayRun {
    let url: WebSocketURL
    let expected: Int
    let timeout: TimeAmount

    struct Result: Codable {
        let received: Int
        let seconds: Double
        let messagesPerSecond: Double
        let megabytesPerSecond: Double
        /// Milliseconds from the start of the connect to the first message.
        let firstMessageMs: Double
        let failure: String?

        var line: String {
            let figures = "\(received) msgs in \(NumberFormat.milliseconds(seconds * 1000)) ms = "
                + "\(NumberFormat.rate(messagesPerSecond)) msgs/s, \(NumberFormat.rate(megabytesPerSecond)) MB/s, "
                + "first after \(NumberFormat.milliseconds(firstMessageMs)) ms"
            return failure.map { "FAILED (\($0)); \(figures)" } ?? figures
        }
    }

    func run(on eventLoop: any EventLoop) async -> Result {
        let started = NIODeadline.now()
        let done = eventLoop.makePromise(of: ReplayHandler.Outcome.self)
        let timer = eventLoop.scheduleTask(in: timeout) {
            done.fail(BenchError.timedOut("replay not complete within \(timeout.nanoseconds / 1_000_000_000) s"))
        }
        defer { timer.cancel() }
        let expected = self.expected
        var channel: (any Channel)?
        do {
            let connector = try WebSocketConnector(url: url, sourceAddresses: 16, timeout: .seconds(10), maxFrameSize: 1 << 20)
            channel = try await connector.connect(number: Int.random(in: 0..<16), on: eventLoop, rawFrames: true) {
                ReplayHandler(expected: expected, done: done)
            }
            let outcome = try await done.futureResult.get()
            channel?.close(promise: nil)
            let seconds = Double((outcome.finished - started).nanoseconds) / 1e9
            return Result(
                received: outcome.received, seconds: seconds, messagesPerSecond: Double(outcome.received) / seconds,
                megabytesPerSecond: Double(outcome.bytes) / seconds / 1e6,
                firstMessageMs: Double((outcome.first - started).nanoseconds) / 1e6, failure: outcome.failure)
        } catch {
            channel?.close(promise: nil)
            return Result(received: 0, seconds: 0, messagesPerSecond: 0, megabytesPerSecond: 0, firstMessageMs: 0,
                          failure: "\(error)")
        }
    }
}

/// Counts replayed frames and checks that message k carries index k.
final class ReplayHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer

    struct Outcome {
        let received: Int
        let bytes: Int
        let first: NIODeadline
        let finished: NIODeadline
        let failure: String?
    }

    private let expected: Int
    private let done: EventLoopPromise<Outcome>
    private var received = 0
    private var bytes = 0
    private var first: NIODeadline?
    private var failure: String?
    private var carry = ByteBuffer()

    init(expected: Int, done: EventLoopPromise<Outcome>) {
        self.expected = expected
        self.done = done
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var buffer = unwrapInboundIn(data)
        if first == nil { first = .now() }
        carry.writeBuffer(&buffer)
        do {
            let consumed = try carry.withUnsafeReadableBytes { bytes in
                try WebSocketFrameScanner.scan(bytes, maxFrameSize: 1 << 20) { frame in self.take(frame) }
            }
            carry.moveReaderIndex(forwardBy: consumed)
            carry.discardReadBytes()
        } catch {
            finish(failure: "bad frame: \(error)")
            return
        }
        if received >= expected || failure != nil { finish(failure: failure) }
    }

    private func take(_ frame: WebSocketFrameScanner.Frame) {
        guard failure == nil else { return }
        switch frame.opcode {
        case 0x1:
            guard let message = BenchMessage.scan(frame.payload) else {
                failure = "unexpected frame after \(received) messages: \(String(decoding: frame.payload.prefix(120), as: UTF8.self))"
                return
            }
            guard message.index == received else {
                failure = "message \(message.index) arrived where \(received) was due (lost or out of order)"
                return
            }
            received += 1
            bytes += frame.payload.count
        case 0x8:
            failure = "server closed the connection after \(received) messages"
        default:
            break
        }
    }

    private func finish(failure: String?) {
        let now = NIODeadline.now()
        done.succeed(Outcome(received: received, bytes: bytes, first: first ?? now, finished: now, failure: failure))
    }

    func channelInactive(context: ChannelHandlerContext) {
        if received < expected { finish(failure: failure ?? "connection closed after \(received) messages") }
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        finish(failure: "\(error)")
        context.close(promise: nil)
    }
}
