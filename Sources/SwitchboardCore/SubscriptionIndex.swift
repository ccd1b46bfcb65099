import NIOCore
import Synchronization

/// Which subscribers match a topic.
///
/// Lookups happen once per message on the commit path, registrations rarely,
/// so matches are cached per topic and the cache is dropped on every change.
final class SubscriptionIndex: Sendable {
    /// A subscriber that matches a topic, once, however many of its patterns match.
    struct Target: Sendable {
        let subscriber: any Subscriber
        let lossless: Bool
    }

    private struct Entry {
        let subscriber: any Subscriber
        var patterns: [TopicPattern: DeliveryPolicy]
    }

    /// The targets of one event loop: the hub hands each loop its whole list in one task.
    struct LoopGroup {
        let eventLoop: any EventLoop
        var targets: [Target]
    }

    private struct State {
        var entries: [ObjectIdentifier: Entry] = [:]
        var cache: [String: [LoopGroup]] = [:]
    }

    private let state = Mutex(State())

    /// Adds (or replaces the policy of) `pattern` for `subscriber`.
    func add(_ subscriber: any Subscriber, pattern: TopicPattern, policy: DeliveryPolicy) {
        self.state.withLock { state in
            let id = ObjectIdentifier(subscriber)
            state.entries[id, default: Entry(subscriber: subscriber, patterns: [:])].patterns[pattern] = policy
            state.cache.removeAll(keepingCapacity: true)
        }
    }

    /// Removes `pattern` for `subscriber`; returns whether it was subscribed.
    @discardableResult
    func remove(_ subscriber: any Subscriber, pattern: TopicPattern) -> Bool {
        self.state.withLock { state in
            let id = ObjectIdentifier(subscriber)
            guard state.entries[id]?.patterns.removeValue(forKey: pattern) != nil else { return false }
            if state.entries[id]?.patterns.isEmpty == true { state.entries[id] = nil }
            state.cache.removeAll(keepingCapacity: true)
            return true
        }
    }

    /// Removes every subscription of `subscriber`.
    func removeAll(_ subscriber: any Subscriber) {
        self.state.withLock { state in
            guard state.entries.removeValue(forKey: ObjectIdentifier(subscriber)) != nil else { return }
            state.cache.removeAll(keepingCapacity: true)
        }
    }

    func count(of subscriber: any Subscriber) -> Int {
        self.state.withLock { $0.entries[ObjectIdentifier(subscriber)]?.patterns.count ?? 0 }
    }

    var subscriberCount: Int { self.state.withLock { $0.entries.count } }

    /// The subscribers matching `topic`, grouped by event loop.
    func targets(for topic: Topic) -> [LoopGroup] {
        self.state.withLock { state in
            if let cached = state.cache[topic.name] { return cached }
            var groups: [LoopGroup] = []
            for entry in state.entries.values {
                var matched = false
                var lossless = false
                for (pattern, policy) in entry.patterns where pattern.matches(topic) {
                    matched = true
                    if policy == .lossless { lossless = true }
                }
                guard matched else { continue }
                let target = Target(subscriber: entry.subscriber, lossless: lossless)
                let loop = entry.subscriber.eventLoop
                if let index = groups.firstIndex(where: { $0.eventLoop === loop }) {
                    groups[index].targets.append(target)
                } else {
                    groups.append(LoopGroup(eventLoop: loop, targets: [target]))
                }
            }
            if state.cache.count > 10_000 { state.cache.removeAll() }
            state.cache[topic.name] = groups
            return groups
        }
    }
}
