/// Everything a `bench idle` run needs.
struct IdleSettings: Sendable {
    var url: NumberedWebSocketURL
    var connections: Int
    /// The server's process id, whose memory is measured (nil: no memory figures).
    var serverPID: Int32?
    /// Seconds to wait before each memory reading, for the server to finish what the connections started.
    var settle: Double
    /// Seconds to hold the connections with pings after measuring.
    var hold: Double
    var pingInterval: Double
    var pongTimeout: Double
    var concurrency: Int
    var sourceAddresses: Int
    var connectTimeout: Double
    var closeTimeout: Double
}
