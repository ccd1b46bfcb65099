import NIOCore
import SwitchboardCore
import SwitchboardMQTT

/// SUBSCRIBE/SUBACK and UNSUBSCRIBE/UNSUBACK (§3.8–§3.11).
///
/// A filter is granted at most QoS 1 (the hub does not deliver at QoS 2, which §3.9.3
/// allows); a filter outside the hub's topic rules, or not permitted, gets 0x80.
/// Every new subscription first receives the retained message of each matching
/// topic: its newest stored message, with RETAIN set, unless that message's payload is empty.
extension MQTTConnection {
    func subscribe(_ subscribe: Subscribe) {
        guard let session = self.session else { return }
        var results: [QoS?] = []
        var added: [TopicPattern] = []
        let limit = self.endpoint.limits.maxSubscriptionsPerConnection
        for filter in subscribe.filters {
            guard let pattern = try? TopicPattern(validating: filter.filter), self.permissions.maySubscribe(pattern),
                self.subscriptions[pattern] != nil || self.subscriptions.count < limit
            else {
                results.append(nil)
                continue
            }
            let granted = min(filter.qos, .atLeastOnce)
            self.subscriptions[pattern] = granted
            added.append(pattern)
            results.append(granted)
        }
        self.deliveryQoS.removeAll()
        let suback = Packet.suback(SubAck(packetID: subscribe.packetID, results: results))
        guard !added.isEmpty else {
            self.send(suback)
            return
        }
        for pattern in added {
            for (topic, lastSeq) in self.hub.topics(matching: pattern) where lastSeq > 0 {
                self.retainedPending[topic.name] = lastSeq
                if !self.cleanSession && self.positions[topic.name] == nil { self.positions[topic.name] = lastSeq }
            }
        }
        // `last: 1`: the newest message of each matching topic first, then live ones, without a gap.
        // The SUBACK is flushed once the subscriptions are registered (§3.8.4 allows either order).
        var bytes = ByteBuffer()
        suback.write(to: &bytes)
        session.subscribe(added, last: 1, acknowledgement: bytes)
        if !self.cleanSession { self.saveSession(written: session.writtenSeqs) }
    }

    func unsubscribe(_ unsubscribe: Unsubscribe) {
        guard let session = self.session else { return }
        let patterns = unsubscribe.filters.compactMap { try? TopicPattern(validating: $0) }
        _ = session.unsubscribe(patterns)
        for pattern in patterns { self.subscriptions[pattern] = nil }
        self.deliveryQoS.removeAll()
        self.send(.unsuback(packetID: unsubscribe.packetID))
        if !self.cleanSession { self.saveSession(written: session.writtenSeqs) }
    }

    /// The QoS a message of `topic` is delivered at: the highest granted by the filters it matches.
    func qos(for topic: String) -> QoS {
        if let qos = self.deliveryQoS[topic] { return qos }
        let name = Topic(trusted: topic)
        var qos = QoS.atMostOnce
        for (pattern, granted) in self.subscriptions where granted > qos && pattern.matches(name) { qos = granted }
        self.deliveryQoS[topic] = qos
        return qos
    }
}
