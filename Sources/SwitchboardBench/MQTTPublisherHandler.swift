import NIOCore

/// Discards what the server sends to the MQTT publisher (PINGRESP; nothing else,
/// since it subscribes to nothing) and closes the connection on an error.
final class MQTTPublisherHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {}

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}
