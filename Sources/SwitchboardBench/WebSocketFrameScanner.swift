/// Splits server-to-client WebSocket frames in place, without copying or
/// allocating: the subscriber's receive path, which must keep up with millions
/// of frames per second on one core.
enum WebSocketFrameScanner {
    /// One complete frame found by `scan`.
    struct Frame {
        let opcode: UInt8
        let fin: Bool
        let payload: UnsafeRawBufferPointer
    }

    enum Failure: Error {
        /// RFC 6455 §5.1: a server must not mask its frames.
        case maskedServerFrame
        case frameTooLarge(Int)
    }

    /// Calls `body` for each complete frame at the start of `bytes` and returns how
    /// many bytes they took; an incomplete frame at the end is left for later.
    @inline(__always)
    static func scan(_ bytes: UnsafeRawBufferPointer, maxFrameSize: Int, _ body: (Frame) -> Void) throws(Failure) -> Int {
        let count = bytes.count
        var p = 0
        while count - p >= 2 {
            let b0 = bytes[p], b1 = bytes[p + 1]
            guard b1 & 0x80 == 0 else { throw .maskedServerFrame }
            var length = Int(b1 & 0x7F)
            var header = 2
            if length == 126 {
                guard count - p >= 4 else { break }
                length = Int(bytes[p + 2]) << 8 | Int(bytes[p + 3])
                header = 4
            } else if length == 127 {
                guard count - p >= 10 else { break }
                var wide: UInt64 = 0
                for k in 2..<10 { wide = wide << 8 | UInt64(bytes[p + k]) }
                guard wide <= UInt64(maxFrameSize) else { throw .frameTooLarge(Int(clamping: wide)) }
                length = Int(wide)
                header = 10
            }
            guard length <= maxFrameSize else { throw .frameTooLarge(length) }
            guard count - p - header >= length else { break }
            let start = p + header
            body(Frame(opcode: b0 & 0x0F, fin: b0 & 0x80 != 0,
                       payload: UnsafeRawBufferPointer(rebasing: bytes[start..<start + length])))
            p = start + length
        }
        return p
    }

    /// How many more bytes the frame at the start of `bytes` needs before `scan`
    /// can take it (0: it is complete, or too large, which `scan` reports). Never
    /// more than the frame still lacks, so topping a partial frame up by this much
    /// never takes bytes of the next one.
    static func missingBytes(_ bytes: UnsafeRawBufferPointer, maxFrameSize: Int) -> Int {
        guard bytes.count >= 2 else { return 2 - bytes.count }
        let length = Int(bytes[1] & 0x7F)
        let header = length == 126 ? 4 : length == 127 ? 10 : 2
        guard bytes.count >= header else { return header - bytes.count }
        var payload = length
        if header == 4 { payload = Int(bytes[2]) << 8 | Int(bytes[3]) }
        if header == 10 {
            var wide: UInt64 = 0
            for k in 2..<10 { wide = wide << 8 | UInt64(bytes[k]) }
            guard wide <= UInt64(maxFrameSize) else { return 0 }
            payload = Int(wide)
        }
        guard payload <= maxFrameSize else { return 0 }
        return max(0, header + payload - bytes.count)
    }
}
