/// The head of an HTTP/1.1 `GET` request, read by hand from a connection's first bytes for the
/// WebSocket upgrade's fast path (``WebSocketUpgradeSniffer``).
///
/// Strict on purpose: anything but the plain shape browsers and WebSocket libraries send —
/// `GET /<path> HTTP/1.1`, CRLF line ends, token header names, visible-ASCII values, no folded
/// lines — reads as `.other`, and NIO's full HTTP parser takes the connection as before. So this
/// parser only has to be right about the requests it accepts, and it decides as soon as a byte
/// rules the fast path out (a bare LF, say) instead of waiting for more.
struct UpgradeRequestHead: Equatable, Sendable {
    struct Field: Equatable, Sendable {
        /// Lowercased.
        var name: String
        /// Without the spaces and tabs around it.
        var value: String
    }

    enum Reading: Equatable {
        /// A prefix of a head this parser could accept: wait for more bytes.
        case incomplete
        /// Not for the fast path (another method, malformed, too long, …).
        case other
        /// The head, and how many bytes it took (up to and including the empty line).
        case head(UpgradeRequestHead, length: Int)
    }

    /// Longer heads are left to NIO's parser, which applies the configured limits.
    static let maxLength = 8 * 1024
    /// More fields than this are left to NIO's parser too.
    static let maxFields = 48

    /// The request target as sent (origin form, starting with `/`).
    var uri: String
    /// In the order sent.
    var fields: [Field]

    /// Reads a head from the start of `bytes`.
    static func read(_ bytes: UnsafeRawBufferPointer) -> Reading {
        var reader = Reader(bytes: bytes)
        return reader.readHead()
    }

    /// Every value of the field `name` (lowercase), comma-separated lists split and trimmed, as
    /// NIO's `headers[canonicalForm:]` gives them.
    func values(_ name: String) -> [Substring] {
        self.fields.lazy.filter { $0.name == name }.flatMap { field in
            field.value.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingSpacesAndTabs() }
        }
    }

    /// The first value of the field `name` (lowercase), whole.
    func first(_ name: String) -> String? {
        self.fields.first { $0.name == name }?.value
    }

    /// The `Sec-WebSocket-Key` when this is a WebSocket upgrade that NIO's upgrader would accept
    /// too (RFC 6455 §4.2.1: `Upgrade: websocket`, `Connection` naming `upgrade`, version 13, one
    /// key) and that carries no body; nil for anything else, which then goes the usual way.
    var webSocketKey: String? {
        guard self.first("transfer-encoding") == nil, self.fields.allSatisfy({ $0.name != "content-length" || $0.value == "0" }) else { return nil }
        let upgrade = self.values("upgrade")
        guard upgrade.count == 1, upgrade[0].lowercased() == "websocket" else { return nil }
        guard self.values("connection").contains(where: { $0.lowercased() == "upgrade" }) else { return nil }
        guard self.values("sec-websocket-version") == ["13"] else { return nil }
        let key = self.values("sec-websocket-key")
        guard key.count == 1, !key[0].isEmpty else { return nil }
        return String(key[0])
    }
}

extension UpgradeRequestHead {
    /// One pass over the bytes; every `read…` returns nil when the bytes ran out.
    private struct Reader {
        let bytes: UnsafeRawBufferPointer
        var index = 0

        mutating func readHead() -> Reading {
            let reading = self.readHeadOrRunOut()
            // Running out of bytes only means "wait" while the head can still fit.
            if reading == .incomplete && self.bytes.count > UpgradeRequestHead.maxLength { return .other }
            return reading
        }

        private mutating func readHeadOrRunOut() -> Reading {
            guard let matched = self.expect("GET /") else { return .incomplete }
            guard matched else { return .other }
            self.index -= 1  // the target starts at the slash
            let targetStart = self.index
            guard let afterTarget = self.skip(while: Self.isTargetByte) else { return .incomplete }
            let uri = self.text(targetStart..<afterTarget)
            guard let version = self.expect(" HTTP/1.1\r\n") else { return .incomplete }
            guard version else { return .other }
            var fields: [Field] = []
            while true {
                guard self.index < self.bytes.count else { return .incomplete }
                if self.bytes[self.index] == UInt8(ascii: "\r") {
                    guard let end = self.expect("\r\n") else { return .incomplete }
                    guard end, self.index <= UpgradeRequestHead.maxLength else { return .other }
                    return .head(UpgradeRequestHead(uri: uri, fields: fields), length: self.index)
                }
                let nameStart = self.index
                guard let nameEnd = self.skip(while: Self.isTokenByte) else { return .incomplete }
                guard nameEnd > nameStart, self.bytes[nameEnd] == UInt8(ascii: ":") else { return .other }
                self.index += 1
                let valueStart = self.index
                guard let valueEnd = self.skip(while: Self.isValueByte) else { return .incomplete }
                guard let lineEnd = self.expect("\r\n") else { return .incomplete }
                guard lineEnd, fields.count < UpgradeRequestHead.maxFields else { return .other }
                fields.append(
                    Field(
                        name: self.text(nameStart..<nameEnd).lowercased(),
                        value: String(self.text(valueStart..<valueEnd).trimmingSpacesAndTabs())))
            }
        }

        /// Moves past bytes for which `test` holds; the index of the first that fails, nil when none did.
        private mutating func skip(while test: (UInt8) -> Bool) -> Int? {
            while self.index < self.bytes.count {
                if !test(self.bytes[self.index]) { return self.index }
                self.index += 1
            }
            return nil
        }

        /// Whether the next bytes are `literal` (moving past it); nil when they are a prefix of it.
        private mutating func expect(_ literal: StaticString) -> Bool? {
            let expected = UnsafeRawBufferPointer(start: literal.utf8Start, count: literal.utf8CodeUnitCount)
            for byte in expected {
                guard self.index < self.bytes.count else { return nil }
                guard self.bytes[self.index] == byte else { return false }
                self.index += 1
            }
            return true
        }

        private func text(_ range: Range<Int>) -> String {
            String(decoding: UnsafeRawBufferPointer(rebasing: self.bytes[range]), as: UTF8.self)
        }

        /// Visible ASCII: what a request target may hold unescaped.
        private static func isTargetByte(_ byte: UInt8) -> Bool { byte > 0x20 && byte < 0x7F }

        /// RFC 9110 `tchar`.
        private static func isTokenByte(_ byte: UInt8) -> Bool {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"): true
            default: "!#$%&'*+-.^_`|~".utf8.contains(byte)
            }
        }

        /// Visible ASCII, space and tab (obs-text is left to NIO's parser).
        private static func isValueByte(_ byte: UInt8) -> Bool { byte == 0x09 || (byte >= 0x20 && byte < 0x7F) }
    }
}

extension StringProtocol {
    /// Without leading and trailing spaces and tabs (HTTP's OWS).
    func trimmingSpacesAndTabs() -> SubSequence {
        let isSpace = { (c: Character) in c == " " || c == "\t" }
        var start = self.startIndex, end = self.endIndex
        while start < end, isSpace(self[start]) { start = self.index(after: start) }
        while end > start, isSpace(self[self.index(before: end)]) { end = self.index(before: end) }
        return self[start..<end]
    }
}
