/// A parsed `mqtt://host:port/<topic>` URL (plain TCP, port 1883 by default). The
/// topic is the path without its leading slash, taken verbatim: `mqtt://127.0.0.1:1883/bench/t`
/// publishes to, or subscribes to, `bench/t`.
struct MQTTURL: Sendable, CustomStringConvertible {
    let authority: URLAuthority
    let topic: String

    /// A string that is not an `mqtt://host:port/<topic>` URL, and why.
    struct Invalid: Error, CustomStringConvertible {
        let url: String
        let reason: String

        var description: String { "not an mqtt://host:port/<topic> URL (\(reason)): \(url)" }
    }

    init(_ string: String) throws {
        guard string.hasPrefix("mqtt://") else { throw Invalid(url: string, reason: "scheme") }
        let rest = string.dropFirst("mqtt://".count)
        let slash = rest.firstIndex(of: "/") ?? rest.endIndex
        guard let authority = URLAuthority(rest[..<slash], defaultPort: 1883) else {
            throw Invalid(url: string, reason: "host or port")
        }
        let topic = slash < rest.endIndex ? String(rest[rest.index(after: slash)...]) : ""
        // MQTT 3.1.1 §4.7.3: at least one character, a UTF-8 string of at most 65,535 bytes, no NUL.
        guard !topic.isEmpty, topic.utf8.count <= 65_535, !topic.utf8.contains(0) else {
            throw Invalid(url: string, reason: "the topic must be 1 to 65,535 bytes without NUL")
        }
        self.authority = authority
        self.topic = topic
    }

    /// Whether the topic is a filter (`+`, `#`): subscribers may use one, the publisher may not.
    var hasWildcards: Bool { topic.contains { $0 == "+" || $0 == "#" } }

    var description: String { "mqtt://\(authority.host):\(authority.port)/\(topic)" }
}
