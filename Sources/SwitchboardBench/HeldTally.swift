import Histogram

/// What the held connections of a connect or idle run saw. Confined to their
/// event loop (the load generator uses one), so handlers update it without locks.
final class HeldTally {
    /// Connections the server closed while we held them.
    var closedByServer = 0
    /// Text or binary frames received (an idle subscriber should get none).
    var frames = 0
    var pingsSent = 0
    /// Pongs that answered the ping outstanding on their connection.
    var pongs = 0
    /// Pings without a pong within the timeout (or before the next ping on the connection).
    var pongsMissing = 0
    /// Pongs that came after their ping had been counted missing, or answered nothing we sent.
    var latePongs = 0
    /// Round-trip time of each answered ping, in nanoseconds.
    var pingRoundTrip = LatencySummary.makeHistogram()
    /// Set before we close our own connections, so that those closes are not counted.
    var finished = false
}
