import NIOCore

/// An incremental RESP2 reply parser: `next` takes one complete reply off the buffer, or returns nil
/// and keeps what it has until more bytes arrive.
///
/// Arrays are resumable: elements parsed so far stay on `stack`, so a big reply arriving in many reads
/// is parsed once, not again from its start on every read. Scalars (a line, or a bulk string with its
/// CRLF) are consumed only when complete. Lengths and nesting are bounded, so a broken or hostile peer
/// gets a `protocolViolation` instead of a huge allocation or a deep recursion.
struct RESPParser {
    struct Limits {
        /// Redis's own `proto-max-bulk-len` default.
        var maxBulkLength = 512 * 1024 * 1024
        /// Far above any reply this hub asks for, small enough that a bogus header cannot exhaust memory.
        var maxArrayLength = 1 << 24
        /// Replies nest a few levels (XREAD: 4); deep nesting would only recurse in `==` and deinit.
        var maxDepth = 32
        /// Simple strings, errors and integers are short; a line without CRLF this long is garbage.
        var maxLineLength = 64 * 1024
    }

    var limits = Limits()
    private var stack: [(remaining: Int, elements: [RESPValue])] = []

    init(limits: Limits = Limits()) {
        self.limits = limits
    }

    private enum Item {
        case value(RESPValue)
        case arrayHeader(count: Int)
    }

    mutating func next(_ buffer: inout ByteBuffer) throws(RedisError) -> RESPValue? {
        while let item = try self.item(&buffer) {
            var value: RESPValue
            switch item {
            case .value(let scalar):
                // An empty array is a level of nesting too, though it needs no frame on the stack.
                if scalar.array != nil, self.stack.count >= self.limits.maxDepth {
                    throw .protocolViolation("arrays nested deeper than \(self.limits.maxDepth)")
                }
                value = scalar
            case .arrayHeader(let count):
                guard self.stack.count < self.limits.maxDepth else {
                    throw .protocolViolation("arrays nested deeper than \(self.limits.maxDepth)")
                }
                var elements: [RESPValue] = []
                elements.reserveCapacity(min(count, 1024))
                self.stack.append((count, elements))
                continue
            }
            // A complete value closes every array it completes, innermost first.
            while !self.stack.isEmpty {
                self.stack[self.stack.count - 1].elements.append(value)
                self.stack[self.stack.count - 1].remaining -= 1
                guard self.stack[self.stack.count - 1].remaining == 0 else { break }
                value = .array(self.stack.removeLast().elements)
            }
            if self.stack.isEmpty { return value }
        }
        return nil
    }

    /// One scalar or array header, consumed only when complete.
    private func item(_ buffer: inout ByteBuffer) throws(RedisError) -> Item? {
        guard let line = try self.line(in: buffer) else { return nil }
        let type = line.bytes.first!
        let text = line.bytes.dropFirst()
        var consumed = line.length
        let item: Item
        switch type {
        case UInt8(ascii: "+"):
            item = .value(.simpleString(String(decoding: text, as: UTF8.self)))
        case UInt8(ascii: "-"):
            item = .value(.error(String(decoding: text, as: UTF8.self)))
        case UInt8(ascii: ":"):
            item = .value(.integer(try Self.integer(text)))
        case UInt8(ascii: "$"):
            let length = try Self.length(text, limit: self.limits.maxBulkLength, what: "bulk string")
            guard length >= 0 else {
                item = .value(.bulkString(nil))
                break
            }
            guard buffer.readableBytes >= consumed + length + 2 else { return nil }
            let end = buffer.readerIndex + consumed + length
            guard buffer.getInteger(at: end, as: UInt16.self) == 0x0D0A else {
                throw .protocolViolation("bulk string of \(length) bytes not followed by CRLF")
            }
            let bytes = buffer.getSlice(at: buffer.readerIndex + consumed, length: length)!
            consumed += length + 2
            item = .value(.bulkString(bytes))
        case UInt8(ascii: "*"):
            let count = try Self.length(text, limit: self.limits.maxArrayLength, what: "array")
            switch count {
            case ..<0: item = .value(.array(nil))
            case 0: item = .value(.array([]))
            default: item = .arrayHeader(count: count)
            }
        default:
            throw .protocolViolation("unknown RESP2 type byte 0x\(String(type, radix: 16))")
        }
        buffer.moveReaderIndex(forwardBy: consumed)
        return item
    }

    /// The first line of the buffer without its CRLF, and its length with it; nil until the CRLF arrived.
    private func line(in buffer: ByteBuffer) throws(RedisError) -> (bytes: ArraySlice<UInt8>, length: Int)? {
        let view = buffer.readableBytesView
        let searched = view.prefix(self.limits.maxLineLength + 2)
        guard let cr = searched.firstIndex(where: { $0 == UInt8(ascii: "\r") || $0 == UInt8(ascii: "\n") }) else {
            if searched.count > self.limits.maxLineLength {
                throw .protocolViolation("no CRLF within \(self.limits.maxLineLength) bytes")
            }
            return nil
        }
        guard view[cr] == UInt8(ascii: "\r") else { throw .protocolViolation("a line ends in LF without CR") }
        guard cr + 1 < view.endIndex else { return nil }
        guard view[cr + 1] == UInt8(ascii: "\n") else { throw .protocolViolation("CR not followed by LF") }
        guard cr > view.startIndex else { throw .protocolViolation("an empty line") }
        return (ArraySlice(view[view.startIndex..<cr]), cr + 2 - view.startIndex)
    }

    private static func integer(_ text: ArraySlice<UInt8>) throws(RedisError) -> Int64 {
        // Int64(String) also takes a leading "+", which RESP does not send; accept it, it is harmless.
        guard !text.isEmpty, text.count <= 20, let value = Int64(String(decoding: text, as: UTF8.self)) else {
            throw .protocolViolation("not an integer: \(String(decoding: text.prefix(40), as: UTF8.self))")
        }
        return value
    }

    /// A bulk string or array length: -1 is null, other negatives and lengths over `limit` are violations.
    private static func length(_ text: ArraySlice<UInt8>, limit: Int, what: String) throws(RedisError) -> Int {
        let value = try self.integer(text)
        guard value >= -1 else { throw .protocolViolation("\(what) length \(value)") }
        guard value <= limit else { throw .protocolViolation("\(what) length \(value) over the limit of \(limit)") }
        return Int(value)
    }
}
