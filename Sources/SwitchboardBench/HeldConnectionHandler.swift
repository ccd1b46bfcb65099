import Histogram
import NIOCore
import NIOWebSocket

/// One connection that the idle benchmark opens and holds: it answers
/// pings and closes, sends our pings on request and matches their pongs, and
/// counts what happens in its loop's `HeldTally`.
///
/// Small on purpose (a reference, a context, one timestamp): the idle benchmark
/// holds 19,000 of them in one process.
final class HeldConnectionHandler: ChannelInboundHandler {
    typealias InboundIn = WebSocketFrame
    typealias OutboundOut = WebSocketFrame

    private let tally: HeldTally
    private var context: ChannelHandlerContext?
    /// When the ping awaiting its pong was sent (monotonic ns; 0: none). The ping
    /// carries this value, and its pong must echo it.
    private(set) var pendingPing: UInt64 = 0

    init(tally: HeldTally) {
        self.tally = tally
    }

    var isActive: Bool { context?.channel.isActive ?? false }

    func handlerAdded(context: ChannelHandlerContext) { self.context = context }
    func handlerRemoved(context: ChannelHandlerContext) { self.context = nil }

    /// Sends a ping stamped `now`; a ping still unanswered counts as missing. Returns
    /// whether it was sent (not on a closed connection).
    @discardableResult
    func ping(now: UInt64) -> Bool {
        guard let context, context.channel.isActive else { return false }
        if pendingPing != 0 { tally.pongsMissing += 1 }
        pendingPing = now
        var payload = context.channel.allocator.buffer(capacity: 8)
        payload.writeInteger(now)
        context.writeAndFlush(wrapOutboundOut(WebSocketFrame(fin: true, opcode: .ping, maskKey: .random(), data: payload)), promise: nil)
        tally.pingsSent += 1
        return true
    }

    /// Counts the ping sent at `sentAt` as missing if its pong has not come yet.
    func expirePing(sentAt: UInt64) {
        guard pendingPing != 0, pendingPing == sentAt else { return }
        pendingPing = 0
        tally.pongsMissing += 1
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        switch frame.opcode {
        case .pong:
            var payload = frame.unmaskedData
            if pendingPing != 0, payload.readableBytes == 8, payload.readInteger(as: UInt64.self) == pendingPing {
                let now = NIODeadline.now().uptimeNanoseconds
                tally.pongs += 1
                tally.pingRoundTrip.record(min(now &- min(pendingPing, now), ReceiveTotals.highestLatency))
                pendingPing = 0
            } else {
                tally.latePongs += 1
            }
        case .ping:
            let pong = WebSocketFrame(fin: true, opcode: .pong, maskKey: .random(), data: frame.unmaskedData)
            context.writeAndFlush(wrapOutboundOut(pong), promise: nil)
        case .connectionClose:
            context.close(promise: nil)
        case .text, .binary:
            tally.frames += 1
        default:
            break
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        if !tally.finished { tally.closedByServer += 1 }
        pendingPing = 0
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}
