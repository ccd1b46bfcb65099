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
            // The port is then chosen at connect, per destination: a bound port is searched for among all of the
            // address's ports in use, which cost the load generator ~15 % of its core in `bench connect`.
            #if os(Linux)
            bootstrap = bootstrap.channelOption(Self.bindAddressNoPort, value: 1)
            #endif
            bootstrap = bootstrap.bind(to: try SocketAddress(ipAddress: "127.0.0.\(1 + number % sourceAddresses)", port: 0))
        }
        return bootstrap
    }

    /// Linux's `IP_BIND_ADDRESS_NO_PORT`.
    #if os(Linux)
    private static let bindAddressNoPort = ChannelOptions.Types.SocketOption(level: .ip, name: .init(rawValue: 24))
    #endif
}
