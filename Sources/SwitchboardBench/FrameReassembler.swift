import NIOCore

/// Splits a connection's byte stream into the frames (or packets) of its wire
/// protocol without copying them: complete frames are scanned where they lie in
/// NIO's receive buffer, and only a frame that straddles two reads is copied,
/// into a buffer that is kept and reused, so that NIO can recycle its receive
/// buffers and a read costs no allocation. Shared by the WebSocket and MQTT
/// subscribers; the protocol comes in as two functions.
struct FrameReassembler {
    /// The start of a frame that straddles two reads.
    private var carry = ByteBuffer()

    /// Hands `scan` every complete frame of this read, the one left over from the
    /// last read first, and keeps an incomplete one at the end for the next read.
    ///
    /// - Parameters:
    ///   - missingBytes: how many more bytes the frame at the start of its argument
    ///     needs (0: complete, or invalid, which `scan` reports); never more than it
    ///     lacks, so topping a partial frame up by this much never takes bytes of the next.
    ///   - scan: consumes the complete frames at the start of its argument and
    ///     returns how many bytes they took.
    @inline(__always)
    mutating func feed(
        _ read: ByteBuffer,
        missingBytes: (UnsafeRawBufferPointer) -> Int,
        scan: (UnsafeRawBufferPointer) throws -> Int
    ) rethrows {
        var buffer = read
        // First complete the frame left over from the last read, copying only the
        // bytes it lacks, then take the rest of this read in place.
        while carry.readableBytes > 0 {
            let missing = carry.withUnsafeReadableBytes(missingBytes)
            if missing > 0 {
                guard let more = buffer.readSlice(length: min(missing, buffer.readableBytes)), more.readableBytes > 0 else {
                    return
                }
                carry.writeImmutableBuffer(more)
                continue
            }
            _ = try carry.withUnsafeReadableBytes(scan)
            carry.clear()
        }
        let consumed = try buffer.withUnsafeReadableBytes(scan)
        buffer.moveReaderIndex(forwardBy: consumed)
        if buffer.readableBytes > 0 { carry.writeBuffer(&buffer) }
    }
}
