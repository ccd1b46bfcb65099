import Logging
import NIOCore

/// Splits a byte stream into lines at `\n` (a trailing `\r` is dropped).
/// A line longer than `maxLength` without a newline is reported once as
/// ``LineDecoder/Event/tooLong`` and the rest of the stream is ignored: the
/// connection closes, since a line boundary can no longer be trusted.
struct LineDecoder: ByteToMessageDecoder {
    enum Event {
        case line(ByteBuffer)
        case tooLong
    }

    typealias InboundOut = Event

    let maxLength: Int
    private var scanned = 0
    private var failed = false

    init(maxLength: Int) {
        self.maxLength = maxLength
    }

    mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard !self.failed else {
            buffer.moveReaderIndex(to: buffer.writerIndex)
            return .needMoreData
        }
        let view = buffer.readableBytesView
        if let newline = view.dropFirst(self.scanned).firstIndex(of: UInt8(ascii: "\n")) {
            let length = newline - view.startIndex
            var line = buffer.readSlice(length: length)!
            buffer.moveReaderIndex(forwardBy: 1)
            self.scanned = 0
            if line.readableBytesView.last == UInt8(ascii: "\r") { line.moveWriterIndex(to: line.writerIndex - 1) }
            guard line.readableBytes <= self.maxLength else {
                self.failed = true
                context.fireChannelRead(Self.wrapInboundOut(.tooLong))
                return .needMoreData
            }
            context.fireChannelRead(Self.wrapInboundOut(.line(line)))
            return .continue
        }
        self.scanned = view.count
        if view.count > self.maxLength {
            self.failed = true
            buffer.moveReaderIndex(to: buffer.writerIndex)
            context.fireChannelRead(Self.wrapInboundOut(.tooLong))
        }
        return .needMoreData
    }

    mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws -> DecodingState {
        // A last line without a newline still counts.
        while try self.decode(context: context, buffer: &buffer) == .continue {}
        if !self.failed, buffer.readableBytes > 0, let line = buffer.readSlice(length: buffer.readableBytes) {
            context.fireChannelRead(Self.wrapInboundOut(.line(line)))
        }
        return .needMoreData
    }
}
