/// Splits a request URI into a percent-decoded path and query parameters.
///
/// Decoding is done here on UTF-8 bytes rather than with Foundation's
/// `removingPercentEncoding`, which cost a tenth of the hub's CPU per WebSocket
/// connection set up (it goes through `NSString` on Linux); the results are the same.
enum URIParts {
    static func split(_ uri: String) -> (path: String, query: [String: String]) {
        let parts = uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        let path = Self.percentDecoded(parts[0], plusIsSpace: false) ?? String(parts[0])
        var query: [String: String] = [:]
        if parts.count > 1 {
            for pair in parts[1].split(separator: "&") {
                let keyValue = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                let key = Self.decode(keyValue[0])
                query[key] = keyValue.count > 1 ? Self.decode(keyValue[1]) : ""
            }
        }
        return (path, query)
    }

    /// A query key or value: `+` is a space, `%XX` a byte; a malformed escape leaves the text as it was (but for `+`).
    static func decode(_ text: Substring) -> String {
        Self.percentDecoded(text, plusIsSpace: true) ?? String(text.replacing("+", with: " "))
    }

    /// `text` with `%XX` escapes (and, if asked, `+`) decoded; `nil` when an escape is
    /// malformed or the decoded bytes are not UTF-8.
    static func percentDecoded(_ text: Substring, plusIsSpace: Bool) -> String? {
        let utf8 = text.utf8
        let percent = UInt8(ascii: "%"), plus = UInt8(ascii: "+")
        guard utf8.contains(where: { $0 == percent || (plusIsSpace && $0 == plus) }) else { return String(text) }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(utf8.count)
        var index = utf8.startIndex
        while index != utf8.endIndex {
            let byte = utf8[index]
            utf8.formIndex(after: &index)
            if byte == percent {
                guard index != utf8.endIndex, let high = hexValue(utf8[index]) else { return nil }
                utf8.formIndex(after: &index)
                guard index != utf8.endIndex, let low = hexValue(utf8[index]) else { return nil }
                utf8.formIndex(after: &index)
                bytes.append(high << 4 | low)
            } else {
                bytes.append(plusIsSpace && byte == plus ? UInt8(ascii: " ") : byte)
            }
        }
        return String(validating: bytes, as: UTF8.self)
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
