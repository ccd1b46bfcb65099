import NIOCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// TCP keepalive on device connections, so a device that vanishes without closing
/// (Wi-Fi gone, power cut) goes offline within a minute or two instead of staying
/// "online" until a write to it fails many minutes later: probes start after
/// 30 s of silence, every 10 s, and three unanswered ones reset the connection; data
/// (a command) unacknowledged for 60 s resets it too.
enum DeviceKeepalive {
    static let idleSeconds: Int32 = 30
    static let intervalSeconds: Int32 = 10
    static let probes: Int32 = 3
    static let unacknowledgedMs: Int32 = 60_000

    /// Best effort: a platform without these options keeps the system defaults. Call on the channel's event loop.
    static func enable(on channel: any Channel) {
        guard let options = channel.syncOptions else { return }
        try? options.setOption(.socketOption(.so_keepalive), value: 1)
        #if os(Linux)
        // TCP_USER_TIMEOUT covers what keepalive does not: a command written to a dead peer stays unacknowledged.
        let tcpOptions: [(Int32, Int32)] = [
            (TCP_KEEPIDLE, Self.idleSeconds), (TCP_KEEPINTVL, Self.intervalSeconds), (TCP_KEEPCNT, Self.probes),
            (Int32(TCP_USER_TIMEOUT), Self.unacknowledgedMs),
        ]
        for (name, value) in tcpOptions {
            let option = ChannelOptions.Types.SocketOption(level: .tcp, name: NIOBSDSocket.Option(rawValue: name))
            try? options.setOption(option, value: SocketOptionValue(value))
        }
        #endif
    }
}
