import NIOCore

/// The `host[:port]` part of a `ws://` or `mqtt://` URL: one parser for both
/// schemes, and what connecting to the server needs of it.
struct URLAuthority: Sendable {
    let host: String
    let port: Int

    /// Parses `authority`; nil if the host is empty or the port is not 1…65535.
    init?(_ authority: Substring, defaultPort: Int) {
        // The host may be a bracketed IPv6 literal, so split at the last colon after any "]".
        if let colon = authority.lastIndex(of: ":"), !authority[colon...].contains("]") {
            guard let port = Int(authority[authority.index(after: colon)...]), (1...65535).contains(port) else {
                return nil
            }
            host = String(authority[..<colon])
            self.port = port
        } else {
            host = String(authority)
            port = defaultPort
        }
        guard !host.isEmpty else { return nil }
    }

    /// Whether the server is on 127.0.0.0/8, so that client sockets may be bound to
    /// other loopback source addresses to multiply the ephemeral port space.
    var isIPv4Loopback: Bool { host == "localhost" || host.hasPrefix("127.") }

    /// Resolves the host once; every connection then connects to the same address.
    func resolve() throws -> SocketAddress {
        var name = host == "localhost" ? "127.0.0.1" : host
        if name.hasPrefix("["), name.hasSuffix("]") { name = String(name.dropFirst().dropLast()) }
        return try SocketAddress.makeAddressResolvingHost(name, port: port)
    }
}
