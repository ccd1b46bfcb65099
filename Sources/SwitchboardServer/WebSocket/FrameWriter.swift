import Logging
import NIOCore

/// Sits just before NIO's `WebSocketFrameEncoder` (on the socket side) and
/// lends its context to the connection, so that pre-encoded frame bytes —
/// shared by every subscriber of a message — go straight to the socket
/// instead of being encoded again per connection.
final class FrameWriter: ChannelOutboundHandler, RemovableChannelHandler {
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private(set) var context: ChannelHandlerContext?

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
    }

    /// Writes whole, encoded frames (call on the event loop).
    func write(_ bytes: ByteBuffer, promise: EventLoopPromise<Void>?) {
        guard let context = self.context else {
            promise?.fail(ChannelError.ioOnClosedChannel)
            return
        }
        context.write(NIOAny(bytes), promise: promise)
    }

    func flush() {
        self.context?.flush()
    }
}
