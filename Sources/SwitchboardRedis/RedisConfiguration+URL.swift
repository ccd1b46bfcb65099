import Foundation

extension RedisConfiguration {
    /// A Redis URL that `init(url:)` cannot read.
    public struct InvalidURL: Error, Sendable, CustomStringConvertible {
        public let description: String
    }

    /// Reads `redis://[[user]:password@]host[:port][/db]`; user and password may be percent-encoded,
    /// an IPv6 host goes in brackets. Anything else (another scheme, a query, a bad port…) throws
    /// `InvalidURL` saying what is wrong (with the password masked).
    public init(url: String) throws {
        func invalid(_ reason: String) -> InvalidURL {
            InvalidURL(description: "invalid Redis URL \"\(Self.redacted(url))\": \(reason)")
        }
        let schemeEnd = url.firstRange(of: "://")
        let scheme = schemeEnd.map { url[..<$0.lowerBound].lowercased() }
        guard scheme == "redis", let schemeEnd else {
            throw invalid(scheme == "rediss" ? "TLS (rediss://) is not supported" : "expected redis://[[user]:password@]host[:port][/db]")
        }
        var rest = url[schemeEnd.upperBound...]
        guard !rest.contains("?"), !rest.contains("#") else { throw invalid("query and fragment are not supported") }

        var path: Substring = ""
        if let slash = rest.firstIndex(of: "/") {
            path = rest[rest.index(after: slash)...]
            rest = rest[..<slash]
        }
        var username: String?
        var password: String?
        if let at = rest.lastIndex(of: "@") {
            let userInfo = rest[..<at]
            rest = rest[rest.index(after: at)...]
            guard let colon = userInfo.firstIndex(of: ":") else { throw invalid("credentials must be [user]:password") }
            guard let user = Self.percentDecoded(userInfo[..<colon]), let pass = Self.percentDecoded(userInfo[userInfo.index(after: colon)...])
            else { throw invalid("bad percent-encoding in the credentials") }
            username = user.isEmpty ? nil : user
            password = pass
        }

        var host: Substring
        var portText: Substring?
        if rest.hasPrefix("[") {
            guard let close = rest.firstIndex(of: "]") else { throw invalid("unclosed [ in the host") }
            host = rest[rest.index(after: rest.startIndex)..<close]
            let after = rest[rest.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":") else { throw invalid("unexpected text after the host") }
                portText = after.dropFirst()
            }
        } else if let colon = rest.lastIndex(of: ":") {
            host = rest[..<colon]
            portText = rest[rest.index(after: colon)...]
        } else {
            host = rest
        }
        guard !host.isEmpty else { throw invalid("no host") }

        var port = 6379
        if let portText {
            guard let value = Int(portText), (1...65535).contains(value) else { throw invalid("port must be 1…65535") }
            port = value
        }
        self.init(host: String(host), port: port)
        self.username = username
        self.password = password
        if !path.isEmpty {
            guard let database = Int(path), database >= 0 else { throw invalid("database must be a number ≥ 0") }
            self.database = database
        }
    }

    /// The URL with the password replaced, for error messages and logs.
    static func redacted(_ url: String) -> String {
        guard let schemeEnd = url.firstRange(of: "://"), let at = url[schemeEnd.upperBound...].lastIndex(of: "@") else { return url }
        let userInfo = url[schemeEnd.upperBound..<at]
        guard let colon = userInfo.firstIndex(of: ":") else { return url }
        return String(url[..<userInfo.index(after: colon)]) + "***" + String(url[at...])
    }

    /// Nil for a malformed escape or bytes that are not UTF-8.
    private static func percentDecoded(_ text: Substring) -> String? {
        String(text).removingPercentEncoding
    }
}
