import NIOCore

/// A parsed `ws://host:port/path?query` URL (plain WebSocket only: the benchmark
/// measures the hub on loopback, where TLS would only measure the cipher).
struct WebSocketURL: Sendable, CustomStringConvertible {
    let host: String
    let port: Int
    /// Path and query as sent in the request line, e.g. `/ws/sub/bench/t?format=data`.
    let requestURI: String

    init(_ string: String) throws {
        guard string.hasPrefix("ws://") else { throw BenchError.badURL(string) }
        let rest = string.dropFirst("ws://".count)
        let slash = rest.firstIndex { $0 == "/" || $0 == "?" } ?? rest.endIndex
        let authority = rest[..<slash]
        var uri = String(rest[slash...])
        if uri.isEmpty || uri.hasPrefix("?") { uri = "/" + uri }
        // The host may be a bracketed IPv6 literal, so split at the last colon after any "]".
        if let colon = authority.lastIndex(of: ":"), !authority[colon...].contains("]") {
            guard let port = Int(authority[authority.index(after: colon)...]), (1...65535).contains(port) else {
                throw BenchError.badURL(string)
            }
            host = String(authority[..<colon])
            self.port = port
        } else {
            host = String(authority)
            port = 80
        }
        guard !host.isEmpty else { throw BenchError.badURL(string) }
        requestURI = uri
    }

    /// The value of the `Host` header.
    var hostHeader: String { port == 80 ? host : "\(host):\(port)" }

    /// Whether the server is on 127.0.0.0/8, so that client sockets may be bound to
    /// other loopback source addresses to multiply the ephemeral port space.
    var isIPv4Loopback: Bool { host == "localhost" || host.hasPrefix("127.") }

    /// Resolves the host once; every connection then connects to the same address.
    func resolve() throws -> SocketAddress {
        var name = host == "localhost" ? "127.0.0.1" : host
        if name.hasPrefix("["), name.hasSuffix("]") { name = String(name.dropFirst().dropLast()) }
        return try SocketAddress.makeAddressResolvingHost(name, port: port)
    }

    var description: String { "ws://\(hostHeader)\(requestURI)" }
}
