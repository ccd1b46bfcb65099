import NIOCore
import NIOWebSocket

/// Receives benchmark messages on one subscriber connection and records them in
/// its event loop's `LoopTally`.
///
/// Reads raw bytes: `WebSocketConnector` replaces NIO's frame decoder with this
/// handler, which splits frames in place (`WebSocketFrameScanner`), so a socket
/// read of hundreds of frames costs no allocation, no per-frame pipeline hop and
/// one clock read. Runs entirely on the event loop, with no task or stream.
final class SubscriberHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = WebSocketFrame

    private let tally: LoopTally
    private let row: Int
    private let maxFrameSize: Int
    private var highest = -1
    /// The start of a frame that straddles two reads. Kept and reused, so that
    /// NIO can recycle its receive buffers and a read costs no allocation.
    private var carry = ByteBuffer()

    init(tally: LoopTally, slot: Int, maxFrameSize: Int) {
        self.tally = tally
        row = tally.row(slot)
        self.maxFrameSize = maxFrameSize
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var buffer = unwrapInboundIn(data)
        // Every frame of one read arrived together: one receive time for all of them.
        let now = NIODeadline.now().uptimeNanoseconds
        var actions = ControlActions()
        do {
            // First complete the frame left over from the last read, copying only
            // the bytes it lacks, then take the rest of this read in place.
            while carry.readableBytes > 0 {
                let missing = carry.withUnsafeReadableBytes {
                    WebSocketFrameScanner.missingBytes($0, maxFrameSize: maxFrameSize)
                }
                if missing > 0 {
                    guard let more = buffer.readSlice(length: min(missing, buffer.readableBytes)), more.readableBytes > 0 else {
                        return
                    }
                    carry.writeImmutableBuffer(more)
                    continue
                }
                _ = try ingest(&carry, now: now, actions: &actions)
                carry.clear()
            }
            let consumed = try ingest(&buffer, now: now, actions: &actions)
            buffer.moveReaderIndex(forwardBy: consumed)
            if buffer.readableBytes > 0 { carry.writeBuffer(&buffer) }
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

    /// Records the complete frames at the start of `buffer`; returns the bytes they took.
    private func ingest(_ buffer: inout ByteBuffer, now: UInt64, actions: inout ControlActions) throws -> Int {
        var highest = self.highest
        defer { self.highest = highest }
        let row = self.row, maxFrameSize = self.maxFrameSize
        return try buffer.withUnsafeReadableBytes { bytes in
            try tally.recorder.ingest(bytes, maxFrameSize: maxFrameSize, row: row, now: now, highest: &highest) { frame in
                switch frame.opcode {
                case 0x8: actions.close = true
                case 0x9: actions.pings.append(ByteBuffer(bytes: frame.payload))
                default: break  // pong
                }
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
