import Metrics

/// The hub's metrics, created once. Dimensions stay low-cardinality: never a topic or client id.
struct HubMetrics: Sendable {
    let published = Counter(label: "switchboard_messages_committed_total")
    let duplicates = Counter(label: "switchboard_publish_duplicates_total")
    let deliveries = Counter(label: "switchboard_deliveries_total")
    let commitBatch = Recorder(label: "switchboard_commit_batch_messages")
    let commitDuration = Timer(label: "switchboard_commit_duration_seconds")
    let replayWindow = Counter(label: "switchboard_replayed_messages_total", dimensions: [("source", "window")])
    let replayStore = Counter(label: "switchboard_replayed_messages_total", dimensions: [("source", "store")])

    func committed(messages: Int, duplicates: Int, duration: Duration) {
        self.published.increment(by: messages)
        HubStats.shared.committed(messages)
        if duplicates > 0 { self.duplicates.increment(by: duplicates) }
        self.commitBatch.record(messages)
        self.commitDuration.recordNanoseconds(duration.components.seconds * 1_000_000_000 + duration.components.attoseconds / 1_000_000_000)
    }

    func fannedOut(_ count: Int) {
        guard count > 0 else { return }
        self.deliveries.increment(by: count)
        HubStats.shared.delivered(count)
    }

    func replayedFromWindow(_ count: Int) {
        if count > 0 { self.replayWindow.increment(by: count) }
    }

    func replayedFromStore(_ count: Int) {
        if count > 0 { self.replayStore.increment(by: count) }
    }

    func rejected(reason: String, count: Int = 1) {
        Counter(label: "switchboard_publish_rejected_total", dimensions: [("reason", reason)]).increment(by: count)
        HubStats.shared.rejected(reason, count)
    }
}

/// Counts messages not delivered and connections closed, by reason (`slow_consumer`, `conflated`, …).
public enum DropMetrics {
    public static func dropped(reason: String, count: Int = 1) {
        Counter(label: "switchboard_dropped_total", dimensions: [("reason", reason)]).increment(by: count)
        HubStats.shared.dropped(reason, count)
    }
}
