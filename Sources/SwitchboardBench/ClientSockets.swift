import NIOCore
import NIOPosix

/// The TCP side of every benchmark connection, whatever protocol runs on it:
/// one resolved server address, `TCP_NODELAY`, a connect timeout, and on loopback
/// a source address from 127.0.0.1 … 127.0.0.`sourceAddresses` in turn.
struct ClientSockets: Sendable {
    let address: SocketAddress
    /// Client sockets are bound to 127.0.0.1 … 127.0.0.`sourceAddresses` in turn (0: not bound).
    let sourceAddresses: Int
    /// Bounds the TCP connect (and, in the connectors, the protocol's handshake too).
    let timeout: TimeAmount

    init(authority: URLAuthority, sourceAddresses: Int, timeout: TimeAmount) throws {
        address = try authority.resolve()
        // Every loopback source address has its own ephemeral port range, so that
        // thousands of connections, and their TIME_WAIT remains from earlier runs,
        // never exhaust it.
        self.sourceAddresses = authority.isIPv4Loopback && address.protocol == .inet ? max(0, min(sourceAddresses, 254)) : 0
        self.timeout = timeout
    }

    /// A bootstrap for connection `number` (which picks its source address) on `eventLoop`.
    func bootstrap(number: Int, on eventLoop: any EventLoop) throws -> ClientBootstrap {
        var bootstrap = ClientBootstrap(group: eventLoop)
            .connectTimeout(timeout)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
        if sourceAddresses > 0 {
            bootstrap = bootstrap.bind(to: try SocketAddress(ipAddress: "127.0.0.\(1 + number % sourceAddresses)", port: 0))
        }
        return bootstrap
    }
}
