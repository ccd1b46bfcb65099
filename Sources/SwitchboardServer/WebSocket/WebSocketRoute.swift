import Logging
import Foundation
import SwitchboardCore

/// Which WebSocket endpoint a request asked for, parsed from its URI.
///
/// Routing happens before the upgrade; a route whose topic or parameters are
/// invalid is still upgraded, so the client receives a specific error frame
/// (browsers cannot read the body of a refused upgrade).
enum WebSocketRoute: Sendable {
    /// `/ws`: the full JSON protocol.
    case full
    /// `/ws/pub/<topic>`: every text frame is one message's `data`.
    case publish(Topic)
    /// `/ws/sub/<pattern>`: one envelope (or `data`) per message.
    case subscribe(SimpleSubscription)
    /// The path is a WebSocket endpoint but its parameters are wrong.
    case invalid(HubError)

    struct SimpleSubscription: Sendable {
        var pattern: TopicPattern
        var dataOnly: Bool
        var since: Int64?
        var last: Int
        var policy: DeliveryPolicy
    }

    /// Query parameters every endpoint shares.
    struct Common: Sendable {
        var device: String?
    }

    /// Parses `uri`; `nil` when the path is not a WebSocket endpoint at all.
    static func parse(uri: String) -> (WebSocketRoute, Common)? {
        let (path, query) = URIParts.split(uri)
        return Self.parse(path: path, query: query)
    }

    /// Parses a URI already split into its decoded path and query.
    static func parse(path: String, query: [String: String]) -> (WebSocketRoute, Common)? {
        let common = Common(device: query["device"])
        if path == "/ws" || path == "/ws/" { return (.full, common) }
        if path.hasPrefix("/ws/pub/") {
            let name = String(path.dropFirst("/ws/pub/".count))
            do throws(HubError) {
                return (.publish(try Topic(validating: name)), common)
            } catch {
                return (.invalid(error), common)
            }
        }
        if path.hasPrefix("/ws/sub/") {
            let text = String(path.dropFirst("/ws/sub/".count))
            do throws(HubError) {
                let pattern = try TopicPattern(validating: text)
                var subscription = SimpleSubscription(pattern: pattern, dataOnly: false, since: nil, last: 0, policy: .lossless)
                switch query["format"] {
                case nil, "envelope": break
                case "data": subscription.dataOnly = true
                case let other?: throw .badRequest("format must be 'envelope' or 'data', not '\(other)'")
                }
                if let since = query["since"] {
                    guard let value = Int64(since), value >= 0 else { throw .badRequest("since must be a seq (a whole number ≥ 0)") }
                    subscription.since = value
                }
                if let last = query["last"] {
                    guard let value = Int(last), value >= 0 else { throw .badRequest("last must be a whole number ≥ 0") }
                    subscription.last = value
                }
                if let policy = query["policy"] {
                    guard let value = DeliveryPolicy(rawValue: policy) else { throw .badRequest("policy must be 'lossless' or 'latest'") }
                    subscription.policy = value
                }
                return (.subscribe(subscription), common)
            } catch {
                return (.invalid(error), common)
            }
        }
        return nil
    }
}

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
