import Logging
import ServiceLifecycle
import SwitchboardCore

/// Publishes the hub's vital signs on `$sys/stats` every ``interval``:
///
/// `{"connections":{"ws":…,"tcp":…,"mqtt":…},"committed":N,"in_per_s":x,"deliveries":N,"out_per_s":y,
///   "rejected":{"<reason>":n},"dropped":{"<reason>":n},"errors":{"<code>":n}}`
///
/// Totals count since the hub started; rates are over the last interval. The
/// same figures are in `/metrics`; this is the view for dashboards and `switchboard sub`.
/// Published only while something subscribes to it, so an idle hub's topics and
/// store do not fill with its own heartbeat.
struct StatsPublisher: Service {
    static let topic = Topic(trusted: "$sys/stats")
    let hub: Hub
    let interval: Duration
    let logger: Logger

    func run() async throws {
        var previous = HubStats.shared.snapshot
        var previousTime = ContinuousClock.now
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: self.interval) }
            guard !Task.isShuttingDownGracefully && !Task.isCancelled else { return }
            let now = ContinuousClock.now, current = HubStats.shared.snapshot
            let seconds = max(Double((now - previousTime).components.attoseconds) / 1e18 + Double((now - previousTime).components.seconds), 0.001)
            let body = Self.body(current, previous: previous, seconds: seconds)
            previous = current
            previousTime = now
            guard self.hub.hasSubscribers(Self.topic) else { continue }
            do {
                _ = try await self.hub.publish(topic: Self.topic, data: body.buffer())
            } catch {
                self.logger.debug("Publishing $sys/stats failed", metadata: ["error.type": "\(error)"])
            }
        }
    }

    static func body(_ current: HubStats.Snapshot, previous: HubStats.Snapshot, seconds: Double) -> JSONValue {
        func counts(_ values: [String: Int64]) -> JSONValue { .object(values.sorted { $0.key < $1.key }.map { ($0.key, .int($0.value)) }) }
        func rate(_ now: Int64, _ before: Int64) -> JSONValue { .double((Double(now - before) / seconds * 10).rounded() / 10) }
        let connections = ServerMetrics.shared.connections
        let errors = ServerMetrics.shared.errors.all.mapValues { Int64($0) }
        return .object([
            ("connections", .object(["ws", "tcp", "mqtt"].map { ($0, .int(Int64(connections[$0] ?? 0))) })),
            ("committed", .int(current.committed)),
            ("in_per_s", rate(current.committed, previous.committed)),
            ("deliveries", .int(current.deliveries)),
            ("out_per_s", rate(current.deliveries, previous.deliveries)),
            ("rejected", counts(current.rejected)),
            ("dropped", counts(current.dropped)),
            ("errors", counts(errors)),
        ])
    }
}
