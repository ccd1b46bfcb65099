import NIOCore

/// The benchmark's message: `{"i":<index>,"t":<intended send time, ns>,"p":"xxxx…"}`,
/// padded to the requested size.
///
/// `t` is the time the open-loop schedule intended the message to be sent (not the
/// time it was written), on the process's monotonic clock, so that latency includes
/// any delay in sending and coordinated omission cannot hide a stall.
enum BenchMessage {
    /// Writes message `index` of about `size` bytes (exactly, when `size` is large
    /// enough for the two numbers) into `buffer`.
    static func write(index: Int, intendedTime: UInt64, size: Int, into buffer: inout ByteBuffer) {
        let start = buffer.writerIndex
        buffer.writeStaticString("{\"i\":")
        writeDecimal(UInt64(index), into: &buffer)
        buffer.writeStaticString(",\"t\":")
        writeDecimal(intendedTime, into: &buffer)
        buffer.writeStaticString(",\"p\":\"")
        let padding = size - (buffer.writerIndex - start) - 2
        if padding > 0 { buffer.writeRepeatingByte(UInt8(ascii: "x"), count: padding) }
        buffer.writeStaticString("\"}")
    }

    /// Writes `value` in decimal without the `String` a conversion would allocate:
    /// reserves the digits, then fills them in from the last.
    private static func writeDecimal(_ value: UInt64, into buffer: inout ByteBuffer) {
        var count = 1
        var rest = value / 10
        while rest > 0 { count += 1; rest /= 10 }
        buffer.writeRepeatingByte(UInt8(ascii: "0"), count: count)
        var at = buffer.writerIndex - 1
        rest = value
        repeat {
            buffer.setInteger(UInt8(ascii: "0") + UInt8(rest % 10), at: at)
            rest /= 10
            at -= 1
        } while rest > 0
    }

    /// Finds `"i":` and `"t":` by a byte scan and parses their integers.
    ///
    /// No JSON parse: a receiver has to keep up with millions of frames per second.
    /// Each scan starts at the beginning, so it finds the keys at once in the raw
    /// message (`?format=data`) and after a few dozen bytes in an envelope, whose own
    /// keys (`topic`, `seq`, `ts`, `from`, `data`) never match. It stops at the key,
    /// so the padding after it is never read, yet a server that reorders the keys
    /// is still understood.
    static func scan(_ bytes: UnsafeRawBufferPointer) -> (index: Int, sentAt: UInt64)? {
        guard let i = number(key: UInt8(ascii: "i"), in: bytes, from: 0),
              let t = number(key: UInt8(ascii: "t"), in: bytes, from: 0),
              i.value <= UInt64(Int.max)
        else { return nil }
        return (Int(i.value), t.value)
    }

    /// The unsigned integer after the first `"<key>":` at or after `from`.
    @inline(__always)
    private static func number(key: UInt8, in bytes: UnsafeRawBufferPointer, from: Int) -> (value: UInt64, end: Int)? {
        let quote = UInt8(ascii: "\""), colon = UInt8(ascii: ":"), space = UInt8(ascii: " ")
        let count = bytes.count
        var p = from
        while p + 3 < count {
            if bytes[p] == quote, bytes[p + 1] == key, bytes[p + 2] == quote, bytes[p + 3] == colon {
                p += 4
                while p < count, bytes[p] == space { p += 1 }
                var value: UInt64 = 0
                let first = p
                while p < count, case let d = bytes[p] &- UInt8(ascii: "0"), d < 10, p - first < 19 {
                    value = value &* 10 &+ UInt64(d)
                    p += 1
                }
                return p > first ? (value, p) : nil
            }
            p += 1
        }
        return nil
    }
}
