/// Everything a fan-in run needs apart from its publish rate.
struct FaninSettings: Sendable {
    /// The publishers' URL; `{n}` is replaced by the publisher's number.
    var pubURL: NumberedWebSocketURL
    var subURL: WebSocketURL
    var publishers: Int
    /// Measured seconds, after `warmup`.
    var duration: Double
    /// Seconds sent and received but not measured.
    var warmup: Double
    /// After the last message, how long to wait for late deliveries before they count as lost.
    var drain: Double
    var size: Int
    var sourceAddresses: Int
    var connectTimeout: Double
    /// Connections opened at once.
    var connectParallelism: Int
    /// The pass criterion: zero loss and p99 at most this.
    var p99LimitMs: Double
    /// The server's process id, if known: its CPU use is reported, and each run
    /// first waits for it to be idle.
    var serverPID: Int32?
}
