import NIOCore
import NIOWebSocket

/// One publisher connection of a fan-in run: installs the `RawFrameOutlet` the
/// schedule writes through, and counts what the server sends back (nothing,
/// unless a publish fails), answering pings and closes.
final class FaninPublisherHandler: ChannelInboundHandler {
    typealias InboundIn = WebSocketFrame
    typealias OutboundOut = WebSocketFrame

    /// Where `FaninPublisher` writes this connection's messages.
    let outlet = RawFrameOutlet()
    private let tally: FaninPublisherTally

    init(tally: FaninPublisherTally) {
        self.tally = tally
    }

    func handlerAdded(context: ChannelHandlerContext) {
        do {
            try context.pipeline.syncOperations.addHandler(outlet, position: .first)
        } catch {
            context.fireErrorCaught(error)
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        switch frame.opcode {
        case .text, .binary:
            tally.frames += 1
            let text = String(buffer: frame.unmaskedData)
            if text.contains("\"error\"") {
                tally.errors += 1
                if tally.firstError == nil { tally.firstError = String(text.prefix(200)) }
            }
        case .ping:
            let pong = WebSocketFrame(fin: true, opcode: .pong, maskKey: .random(), data: frame.unmaskedData)
            context.writeAndFlush(wrapOutboundOut(pong), promise: nil)
        case .connectionClose:
            context.close(promise: nil)
        default:
            break
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
