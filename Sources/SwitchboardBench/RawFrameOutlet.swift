import NIOCore

/// A pipeline's first handler, through which ready-made frames (`MaskedMessageWriter`)
/// go straight to the socket, past NIO's WebSocket frame encoder, which only takes
/// `WebSocketFrame`s and cannot be removed. Everything else written on the channel
/// (control frames through the encoder) passes through unchanged.
///
/// Confined to its channel's event loop.
final class RawFrameOutlet: ChannelOutboundHandler {
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private var context: ChannelHandlerContext?

    func handlerAdded(context: ChannelHandlerContext) { self.context = context }
    func handlerRemoved(context: ChannelHandlerContext) { self.context = nil }

    /// Whether the connection is still open.
    var isActive: Bool { context?.channel.isActive ?? false }

    var allocator: ByteBufferAllocator { context?.channel.allocator ?? ByteBufferAllocator() }

    /// Writes and flushes `frames`, complete WebSocket frames, as they are.
    func send(_ frames: ByteBuffer) {
        context?.writeAndFlush(wrapOutboundOut(frames), promise: nil)
    }
}
