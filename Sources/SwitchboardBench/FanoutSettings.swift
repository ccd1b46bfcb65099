/// Everything a fan-out run needs apart from its publish rate.
struct FanoutSettings: Sendable {
    /// `ws://` or `mqtt://`: the scheme picks the wire protocol of each side.
    var pubURL: ServerURL
    /// Subscriber `k` connects to `subURLs[k % count]`: several spread subscribers over cluster nodes.
    var subURLs: [ServerURL]
    var subscribers: Int
    /// Measured seconds, after `warmup`.
    var duration: Double
    /// Seconds sent and received but not measured.
    var warmup: Double
    /// After the last message, how long to wait for late deliveries before they count as lost.
    var drain: Double
    var size: Int
    var threads: Int
    var sourceAddresses: Int
    var connectTimeout: Double
    /// Connections opened at once.
    var connectParallelism: Int
    /// The pass criterion of the search: zero loss and p99 at most this.
    var p99LimitMs: Double
}
