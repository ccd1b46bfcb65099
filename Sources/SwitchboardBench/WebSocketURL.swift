import NIOCore

/// A parsed `ws://host:port/path?query` URL (plain WebSocket only: the benchmark
/// measures the hub on loopback, where TLS would only measure the cipher).
struct WebSocketURL: Sendable, CustomStringConvertible {
    let authority: URLAuthority
    /// Path and query as sent in the request line, e.g. `/ws/sub/bench/t?format=data`.
    let requestURI: String

    init(_ string: String) throws {
        guard string.hasPrefix("ws://") else { throw BenchError.badURL(string) }
        let rest = string.dropFirst("ws://".count)
        let slash = rest.firstIndex { $0 == "/" || $0 == "?" } ?? rest.endIndex
        guard let authority = URLAuthority(rest[..<slash], defaultPort: 80) else { throw BenchError.badURL(string) }
        var uri = String(rest[slash...])
        if uri.isEmpty || uri.hasPrefix("?") { uri = "/" + uri }
        self.authority = authority
        requestURI = uri
    }

    var host: String { authority.host }
    var port: Int { authority.port }

    /// The value of the `Host` header.
    var hostHeader: String { port == 80 ? host : "\(host):\(port)" }

    /// Whether the server is on 127.0.0.0/8 (see `URLAuthority`).
    var isIPv4Loopback: Bool { authority.isIPv4Loopback }

    /// Resolves the host once; every connection then connects to the same address.
    func resolve() throws -> SocketAddress { try authority.resolve() }

    var description: String { "ws://\(hostHeader)\(requestURI)" }
}
