import Synchronization

/// Running totals the hub publishes on `$sys/stats` (the same figures `/metrics`
/// has, readable in process): messages committed and delivered, publishes
/// rejected and messages dropped by reason. Updated once per commit batch or
/// per event, never per delivery, so the lock is cheap.
public final class HubStats: Sendable {
    public static let shared = HubStats()

    public struct Snapshot: Sendable {
        public var committed: Int64 = 0
        public var deliveries: Int64 = 0
        public var rejected: [String: Int64] = [:]
        public var dropped: [String: Int64] = [:]
    }

    private let state = Mutex(Snapshot())

    public var snapshot: Snapshot { self.state.withLock { $0 } }

    func committed(_ count: Int) { self.state.withLock { $0.committed += Int64(count) } }
    func delivered(_ count: Int) { self.state.withLock { $0.deliveries += Int64(count) } }
    public func rejected(_ reason: String, _ count: Int = 1) { self.state.withLock { $0.rejected[reason, default: 0] += Int64(count) } }
    public func dropped(_ reason: String, _ count: Int = 1) { self.state.withLock { $0.dropped[reason, default: 0] += Int64(count) } }
}
