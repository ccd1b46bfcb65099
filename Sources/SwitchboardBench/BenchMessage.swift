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
        // Fast path, the exact shape `write` produces: `{"i":` at 0, then `,"t":`
        // right after the index. Four bytes compared at a time.
        let count = bytes.count
        if count >= 12, bytes.loadUnaligned(as: UInt32.self) == openI, bytes[4] == UInt8(ascii: ":") {
            let i = digits(bytes, from: 5)
            let at = i.end
            if at > 5, at + 5 < count, i.value <= UInt64(Int.max),
               bytes.loadUnaligned(fromByteOffset: at, as: UInt32.self) == commaT, bytes[at + 4] == UInt8(ascii: ":") {
                let t = digits(bytes, from: at + 5)
                if t.end > at + 5 { return (Int(i.value), t.value) }
            }
        }
        guard let i = number(key: UInt8(ascii: "i"), in: bytes, from: 0),
              let t = number(key: UInt8(ascii: "t"), in: bytes, from: 0),
              i.value <= UInt64(Int.max)
        else { return nil }
        return (Int(i.value), t.value)
    }

    /// `{"i"` and `,"t"` as the native-endian integers `loadUnaligned` reads.
    private static let openI = UInt32(littleEndian: 0x2269_227B)
    private static let commaT = UInt32(littleEndian: 0x2274_222C)

    /// The decimal digits at `from` (at most 19, so the value fits), and where they end.
    @inline(__always)
    private static func digits(_ bytes: UnsafeRawBufferPointer, from: Int) -> (value: UInt64, end: Int) {
        let count = bytes.count
        var p = from
        var value: UInt64 = 0
        // Eight digits at once while there are eight (SWAR: the intended send time
        // has 13 or more); see Lemire, "Quickly parsing eight digits" (2022).
        if p + 8 <= count {
            let chunk = UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: p, as: UInt64.self))
            let high: UInt64 = 0xF0F0_F0F0_F0F0_F0F0, zeros: UInt64 = 0x3030_3030_3030_3030
            if chunk & high == zeros, (chunk &+ 0x0606_0606_0606_0606) & high == zeros {
                var v = chunk &- zeros
                v = (v &* 10) &+ (v >> 8)
                v = ((v & 0x0000_00FF_0000_00FF) &* (100 &+ (1_000_000 << 32))
                    &+ ((v >> 16) & 0x0000_00FF_0000_00FF) &* (1 &+ (10_000 << 32))) >> 32
                value = v
                p += 8
            }
        }
        while p < count, p - from < 19, case let d = bytes[p] &- UInt8(ascii: "0"), d < 10 {
            value = value &* 10 &+ UInt64(d)
            p += 1
        }
        return (value, p)
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
                let number = digits(bytes, from: p)
                return number.end > p ? number : nil
            }
            p += 1
        }
        return nil
    }
}
