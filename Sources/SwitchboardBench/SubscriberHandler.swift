import NIOCore
import NIOWebSocket

/// Receives benchmark messages on one subscriber connection and records them in
/// its event loop's `LoopTally`.
///
/// Reads raw bytes: `WebSocketConnector` replaces NIO's frame decoder with this
/// handler, which splits frames in place (`FrameReassembler`, `WebSocketFrameScanner`),
/// so a socket read of hundreds of frames costs no allocation, no per-frame
/// pipeline hop and one clock read. Runs entirely on the event loop, with no task or stream.
final class SubscriberHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = WebSocketFrame

    private let tally: LoopTally
    private let row: Int
    private let maxFrameSize: Int
    private var highest = -1
    private var frames = FrameReassembler()

    init(tally: LoopTally, slot: Int, maxFrameSize: Int) {
        self.tally = tally
        row = tally.row(slot)
        self.maxFrameSize = maxFrameSize
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        // Every frame of one read arrived together: one receive time for all of them.
        let now = NIODeadline.now().uptimeNanoseconds
        let maxFrameSize = self.maxFrameSize
        var actions = ControlActions()
        do {
            try frames.feed(unwrapInboundIn(data)) {
                WebSocketFrameScanner.missingBytes($0, maxFrameSize: maxFrameSize)
            } scan: {
                try ingest($0, now: now, actions: &actions)
            }
        } catch {
            context.fireErrorCaught(error)
            return
        }
        for payload in actions.pings {
            // The seed relay pings every 20 s and drops clients that do not answer.
            context.write(wrapOutboundOut(WebSocketFrame(fin: true, opcode: .pong, maskKey: .random(), data: payload)), promise: nil)
        }
        if !actions.pings.isEmpty { context.flush() }
        if actions.close { context.close(promise: nil) }
    }

    /// Control frames seen while scanning, acted on once the scan is done.
    private struct ControlActions {
        var pings: [ByteBuffer] = []
        var close = false
    }

    /// Records the complete frames at the start of `bytes`; returns the bytes they took.
    private func ingest(_ bytes: UnsafeRawBufferPointer, now: UInt64, actions: inout ControlActions) throws -> Int {
        var highest = self.highest
        defer { self.highest = highest }
        return try tally.recorder.ingest(bytes, maxFrameSize: maxFrameSize, row: row, now: now, highest: &highest) { frame in
            switch frame.opcode {
            case 0x8: actions.close = true
            case 0x9: actions.pings.append(ByteBuffer(bytes: frame.payload))
            default: break  // pong
            }
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        tally.recordDrop()
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}
