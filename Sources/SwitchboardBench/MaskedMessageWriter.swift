import NIOCore

/// Writes benchmark messages as complete, masked WebSocket text frames straight
/// into a buffer, several frames to a buffer if need be.
///
/// The fan-in publisher writes hundreds of thousands of frames per second over a
/// thousand connections from one core; going through NIO's frame encoder would
/// cost a pipeline pass and a separate header buffer per frame.
struct MaskedMessageWriter {
    private var masks = SplitMix64()
    /// The message before masking; reused, so a frame costs no allocation.
    private var scratch = ByteBufferAllocator().buffer(capacity: 256)

    /// Appends message `index` (see `BenchMessage`) to `buffer` as one masked text frame.
    mutating func write(index: Int, intendedTime: UInt64, size: Int, into buffer: inout ByteBuffer) {
        scratch.clear()
        BenchMessage.write(index: index, intendedTime: intendedTime, size: size, into: &scratch)
        let length = scratch.readableBytes
        buffer.writeInteger(UInt8(0x81))  // FIN, text
        if length < 126 {
            buffer.writeInteger(UInt8(0x80 | length))  // the mask bit, and the length
        } else if length <= 0xFFFF {
            buffer.writeInteger(UInt8(0x80 | 126))
            buffer.writeInteger(UInt16(length))
        } else {
            buffer.writeInteger(UInt8(0x80 | 127))
            buffer.writeInteger(UInt64(length))
        }
        // The key's bytes go out in memory order, so that `mask` can apply it a word at a time.
        let key = UInt32(truncatingIfNeeded: masks.next())
        buffer.writeInteger(key, endianness: .host)
        scratch.withUnsafeReadableBytes { message in
            _ = buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: length) { target in
                Self.mask(message, into: target, key: key)
                return length
            }
        }
    }

    /// RFC 6455 §5.3: byte `i` of the payload is XORed with byte `i % 4` of the key.
    private static func mask(_ source: UnsafeRawBufferPointer, into target: UnsafeMutableRawBufferPointer, key: UInt32) {
        let count = source.count
        // The key's four bytes twice, in memory order, whatever the byte order.
        let key8 = UInt64(key) | UInt64(key) << 32
        var p = 0
        while p + 8 <= count {
            target.storeBytes(of: source.loadUnaligned(fromByteOffset: p, as: UInt64.self) ^ key8, toByteOffset: p, as: UInt64.self)
            p += 8
        }
        withUnsafeBytes(of: key) { keyBytes in
            while p < count {
                target[p] = source[p] ^ keyBytes[p & 3]
                p += 1
            }
        }
    }
}
