public import NIOCore

/// A strict JSON parser (RFC 8259) that can hand back chosen object members
/// as their raw bytes instead of a parsed tree.
///
/// The hub stores and forwards `data` exactly as the publisher wrote it, so it
/// only validates it and keeps its byte range: no re-encoding on the hot path,
/// and numbers keep their text. No library offers raw ranges, hence this small,
/// fuzz-tested parser.
public struct JSONParser {
    /// Nesting deeper than this is rejected, so hostile input cannot exhaust the stack.
    public static let maxDepth = 128

    /// Parses a whole JSON document.
    public static func parse(_ buffer: ByteBuffer) throws(HubError) -> JSONValue {
        try Self.withValidatedBytes(buffer) { bytes throws(HubError) in
            var parser = Cursor(bytes: bytes)
            let value = try parser.parseValue(depth: 0)
            try parser.expectEnd()
            return value
        }
    }

    /// Parses a whole JSON document from text.
    public static func parse(_ text: String) throws(HubError) -> JSONValue {
        try Self.parse(ByteBuffer(string: text))
    }

    /// Validates a whole JSON document without building it.
    public static func validate(_ buffer: ByteBuffer) throws(HubError) {
        try Self.withValidatedBytes(buffer) { bytes throws(HubError) in
            var parser = Cursor(bytes: bytes)
            try parser.skipValue(depth: 0)
            try parser.expectEnd()
        }
    }

    /// A top-level object whose members named in `rawKeys` were validated but kept as bytes.
    public struct Object: Sendable {
        /// The parsed members, in order, without the raw ones.
        public var fields: JSONValue
        /// The raw members: slices of the input buffer (no copy).
        public var raw: [String: ByteBuffer]

        public subscript(key: String) -> JSONValue? { self.fields[key] }
    }

    /// Parses a top-level JSON object, keeping the members named in `rawKeys` as raw bytes.
    ///
    /// Throws `bad_json` when the input is not JSON or not an object.
    public static func parseObject(_ buffer: ByteBuffer, rawKeys: Set<String>) throws(HubError) -> Object {
        try Self.withValidatedBytes(buffer) { bytes throws(HubError) in
            var parser = Cursor(bytes: bytes)
            parser.skipWhitespace()
            guard parser.peek() == UInt8(ascii: "{") else {
                if parser.index >= bytes.count { throw HubError.badJSON("empty input") }
                try parser.skipValue(depth: 0)
                try parser.expectEnd()
                throw HubError.badJSON("expected a JSON object")
            }
            var members: [(String, JSONValue)] = []
            var raw: [String: ByteBuffer] = [:]
            try parser.parseMembers(depth: 0) { key, parser throws(HubError) in
                if rawKeys.contains(key) {
                    parser.skipWhitespace()
                    let start = parser.index
                    try parser.skipValue(depth: 1)
                    raw[key] = buffer.getSlice(at: buffer.readerIndex + start, length: parser.index - start)
                } else {
                    members.append((key, try parser.parseValue(depth: 1)))
                }
            }
            try parser.expectEnd()
            return Object(fields: .object(members), raw: raw)
        }
    }

    private static func withValidatedBytes<T>(
        _ buffer: ByteBuffer,
        _ body: (UnsafeRawBufferPointer) throws(HubError) -> T
    ) throws(HubError) -> T {
        let result: Result<T, HubError> = buffer.withUnsafeReadableBytes { bytes in
            // UTF-8 once for the whole input; the grammar below then only sees valid text.
            guard Self.isValidUTF8(bytes) else { return .failure(.badJSON("input is not valid UTF-8")) }
            do throws(HubError) { return .success(try body(bytes)) } catch { return .failure(error) }
        }
        return try result.get()
    }

    static func isValidUTF8(_ bytes: UnsafeRawBufferPointer) -> Bool {
        // Fast path: pure ASCII, the common case for sensor JSON.
        var ascii = true
        for byte in bytes where byte >= 0x80 {
            ascii = false
            break
        }
        if ascii { return true }
        return String(validating: bytes, as: UTF8.self) != nil
    }
}

extension JSONParser {
    struct Cursor {
        let bytes: UnsafeRawBufferPointer
        var index = 0

        init(bytes: UnsafeRawBufferPointer) {
            self.bytes = bytes
        }

        func peek() -> UInt8? { self.index < self.bytes.count ? self.bytes[self.index] : nil }

        mutating func skipWhitespace() {
            while self.index < self.bytes.count {
                switch self.bytes[self.index] {
                case 0x20, 0x0A, 0x0D, 0x09: self.index += 1
                default: return
                }
            }
        }

        func error(_ message: String) -> HubError {
            .badJSON("\(message) at byte \(self.index)")
        }

        mutating func expectEnd() throws(HubError) {
            self.skipWhitespace()
            guard self.index == self.bytes.count else { throw self.error("unexpected text after the JSON value") }
        }

        mutating func expect(_ literal: StaticString) throws(HubError) {
            let count = literal.utf8CodeUnitCount
            guard self.index + count <= self.bytes.count else { throw self.error("unexpected end of input") }
            for offset in 0..<count where self.bytes[self.index + offset] != literal.utf8Start[offset] {
                throw self.error("invalid literal")
            }
            self.index += count
        }

        // MARK: Parsing into values

        mutating func parseValue(depth: Int) throws(HubError) -> JSONValue {
            guard depth < JSONParser.maxDepth else { throw self.error("nesting deeper than \(JSONParser.maxDepth)") }
            self.skipWhitespace()
            guard let byte = self.peek() else { throw self.error("unexpected end of input") }
            switch byte {
            case UInt8(ascii: "{"):
                var members: [(String, JSONValue)] = []
                try self.parseMembers(depth: depth) { key, parser throws(HubError) in
                    members.append((key, try parser.parseValue(depth: depth + 1)))
                }
                return .object(members)
            case UInt8(ascii: "["):
                var items: [JSONValue] = []
                try self.parseElements { parser throws(HubError) in
                    items.append(try parser.parseValue(depth: depth + 1))
                }
                return .array(items)
            case UInt8(ascii: "\""):
                return .string(try self.parseString())
            case UInt8(ascii: "t"):
                try self.expect("true")
                return .bool(true)
            case UInt8(ascii: "f"):
                try self.expect("false")
                return .bool(false)
            case UInt8(ascii: "n"):
                try self.expect("null")
                return .null
            default:
                let start = self.index
                try self.skipNumber()
                return .number(String(decoding: UnsafeRawBufferPointer(rebasing: self.bytes[start..<self.index]), as: UTF8.self))
            }
        }

        /// Reads `{ "key": value, … }`, calling `member` positioned at each value.
        mutating func parseMembers(
            depth: Int,
            _ member: (String, inout Cursor) throws(HubError) -> Void
        ) throws(HubError) {
            self.index += 1  // {
            self.skipWhitespace()
            if self.peek() == UInt8(ascii: "}") {
                self.index += 1
                return
            }
            while true {
                self.skipWhitespace()
                guard self.peek() == UInt8(ascii: "\"") else { throw self.error("expected a string key") }
                let key = try self.parseString()
                self.skipWhitespace()
                guard self.peek() == UInt8(ascii: ":") else { throw self.error("expected ':'") }
                self.index += 1
                try member(key, &self)
                self.skipWhitespace()
                switch self.peek() {
                case UInt8(ascii: ","): self.index += 1
                case UInt8(ascii: "}"):
                    self.index += 1
                    return
                case nil: throw self.error("unexpected end of input")
                default: throw self.error("expected ',' or '}'")
                }
            }
        }

        mutating func parseElements(_ element: (inout Cursor) throws(HubError) -> Void) throws(HubError) {
            self.index += 1  // [
            self.skipWhitespace()
            if self.peek() == UInt8(ascii: "]") {
                self.index += 1
                return
            }
            while true {
                try element(&self)
                self.skipWhitespace()
                switch self.peek() {
                case UInt8(ascii: ","): self.index += 1
                case UInt8(ascii: "]"):
                    self.index += 1
                    return
                case nil: throw self.error("unexpected end of input")
                default: throw self.error("expected ',' or ']'")
                }
            }
        }

        mutating func parseString() throws(HubError) -> String {
            self.index += 1  // opening quote
            let start = self.index
            // Fast path: no escapes, just slice.
            while self.index < self.bytes.count {
                let byte = self.bytes[self.index]
                if byte == UInt8(ascii: "\"") {
                    let text = String(decoding: UnsafeRawBufferPointer(rebasing: self.bytes[start..<self.index]), as: UTF8.self)
                    self.index += 1
                    return text
                }
                if byte == UInt8(ascii: "\\") { break }
                guard byte >= 0x20 else { throw self.error("control character in string") }
                self.index += 1
            }
            var scalars = String.UnicodeScalarView()
            var utf8: [UInt8] = Array(UnsafeRawBufferPointer(rebasing: self.bytes[start..<self.index]))
            func flush() {
                scalars.append(contentsOf: String(decoding: utf8, as: UTF8.self).unicodeScalars)
                utf8.removeAll(keepingCapacity: true)
            }
            while self.index < self.bytes.count {
                let byte = self.bytes[self.index]
                switch byte {
                case UInt8(ascii: "\""):
                    self.index += 1
                    flush()
                    return String(scalars)
                case UInt8(ascii: "\\"):
                    self.index += 1
                    guard let escaped = self.peek() else { throw self.error("unexpected end of input") }
                    self.index += 1
                    switch escaped {
                    case UInt8(ascii: "\""): utf8.append(0x22)
                    case UInt8(ascii: "\\"): utf8.append(0x5C)
                    case UInt8(ascii: "/"): utf8.append(0x2F)
                    case UInt8(ascii: "b"): utf8.append(0x08)
                    case UInt8(ascii: "f"): utf8.append(0x0C)
                    case UInt8(ascii: "n"): utf8.append(0x0A)
                    case UInt8(ascii: "r"): utf8.append(0x0D)
                    case UInt8(ascii: "t"): utf8.append(0x09)
                    case UInt8(ascii: "u"):
                        let code = try self.readUnicodeEscape()
                        flush()
                        scalars.append(Unicode.Scalar(code)!)
                    default: throw self.error("invalid escape in string")
                    }
                default:
                    guard byte >= 0x20 else { throw self.error("control character in string") }
                    utf8.append(byte)
                    self.index += 1
                }
            }
            throw self.error("unterminated string")
        }

        /// Reads the hex digits after `\u` (and a following `\uXXXX` low surrogate when needed);
        /// returns the scalar value.
        mutating func readUnicodeEscape() throws(HubError) -> UInt32 {
            let code = try self.readHex4()
            if (0xDC00..<0xE000).contains(code) { throw self.error("unpaired surrogate in string") }
            guard (0xD800..<0xDC00).contains(code) else { return code }
            // A high surrogate must be followed by a low one.
            guard self.index + 1 < self.bytes.count, self.bytes[self.index] == UInt8(ascii: "\\"),
                self.bytes[self.index + 1] == UInt8(ascii: "u")
            else { throw self.error("unpaired surrogate in string") }
            self.index += 2
            let low = try self.readHex4()
            guard (0xDC00..<0xE000).contains(low) else { throw self.error("unpaired surrogate in string") }
            return 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
        }

        mutating func readHex4() throws(HubError) -> UInt32 {
            guard self.index + 4 <= self.bytes.count else { throw self.error("unexpected end of input") }
            var value: UInt32 = 0
            for _ in 0..<4 {
                let byte = self.bytes[self.index]
                let digit: UInt32
                switch byte {
                case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = UInt32(byte - UInt8(ascii: "0"))
                case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = UInt32(byte - UInt8(ascii: "a") + 10)
                case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = UInt32(byte - UInt8(ascii: "A") + 10)
                default: throw self.error("invalid \\u escape")
                }
                value = value << 4 | digit
                self.index += 1
            }
            return value
        }

        // MARK: Validating without building

        mutating func skipValue(depth: Int) throws(HubError) {
            guard depth < JSONParser.maxDepth else { throw self.error("nesting deeper than \(JSONParser.maxDepth)") }
            self.skipWhitespace()
            guard let byte = self.peek() else { throw self.error("unexpected end of input") }
            switch byte {
            case UInt8(ascii: "{"):
                try self.parseMembers(depth: depth) { _, parser throws(HubError) in try parser.skipValue(depth: depth + 1) }
            case UInt8(ascii: "["):
                try self.parseElements { parser throws(HubError) in try parser.skipValue(depth: depth + 1) }
            case UInt8(ascii: "\""): try self.skipString()
            case UInt8(ascii: "t"): try self.expect("true")
            case UInt8(ascii: "f"): try self.expect("false")
            case UInt8(ascii: "n"): try self.expect("null")
            default: try self.skipNumber()
            }
        }

        mutating func skipString() throws(HubError) {
            self.index += 1
            while self.index < self.bytes.count {
                let byte = self.bytes[self.index]
                switch byte {
                case UInt8(ascii: "\""):
                    self.index += 1
                    return
                case UInt8(ascii: "\\"):
                    try self.skipEscape()
                default:
                    guard byte >= 0x20 else { throw self.error("control character in string") }
                    self.index += 1
                }
            }
            throw self.error("unterminated string")
        }

        /// Validates one escape sequence starting at a backslash.
        mutating func skipEscape() throws(HubError) {
            self.index += 1
            guard let escaped = self.peek() else { throw self.error("unexpected end of input") }
            self.index += 1
            switch escaped {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"), UInt8(ascii: "f"),
                UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
                return
            case UInt8(ascii: "u"):
                _ = try self.readUnicodeEscape()
            default: throw self.error("invalid escape in string")
            }
        }

        mutating func skipNumber() throws(HubError) {
            let start = self.index
            if self.peek() == UInt8(ascii: "-") { self.index += 1 }
            guard let first = self.peek(), first >= UInt8(ascii: "0"), first <= UInt8(ascii: "9") else {
                self.index = start
                throw self.error("unexpected character")
            }
            self.index += 1
            if first != UInt8(ascii: "0") { self.skipDigits() }
            if self.peek() == UInt8(ascii: ".") {
                self.index += 1
                guard self.skipDigits() > 0 else { throw self.error("expected digits after '.'") }
            }
            if self.peek() == UInt8(ascii: "e") || self.peek() == UInt8(ascii: "E") {
                self.index += 1
                if self.peek() == UInt8(ascii: "+") || self.peek() == UInt8(ascii: "-") { self.index += 1 }
                guard self.skipDigits() > 0 else { throw self.error("expected digits in exponent") }
            }
        }

        @discardableResult
        mutating func skipDigits() -> Int {
            let start = self.index
            while let byte = self.peek(), byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") { self.index += 1 }
            return self.index - start
        }
    }
}
