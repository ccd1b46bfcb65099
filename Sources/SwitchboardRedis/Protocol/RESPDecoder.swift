import NIOCore

/// Replies off the socket, one `RESPValue` per complete reply (see `RESPParser`).
struct RESPDecoder: ByteToMessageDecoder {
    typealias InboundOut = RESPValue

    private var parser: RESPParser

    init(limits: RESPParser.Limits = .init()) {
        self.parser = RESPParser(limits: limits)
    }

    mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let value = try self.parser.next(&buffer) else { return .needMoreData }
        context.fireChannelRead(Self.wrapInboundOut(value))
        return .continue
    }

    mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws -> DecodingState {
        // A reply cut off by the close is lost with the connection; the command handler fails its command.
        try self.decode(context: context, buffer: &buffer)
    }
}
