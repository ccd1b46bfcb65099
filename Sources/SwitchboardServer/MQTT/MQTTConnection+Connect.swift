import Logging
import Foundation
import NIOCore
import SwitchboardControl
import SwitchboardCore
import SwitchboardMQTT

/// CONNECT → CONNACK (§3.1–§3.2), persistent sessions and the will.
extension MQTTConnection {
    func connect(_ connect: Connect) {
        // §3.1.3.1: an empty id is assigned by the server, and only for a clean session.
        if connect.clientID.isEmpty {
            guard connect.cleanSession else {
                self.refuse(.identifierRejected, reason: "an empty client id needs clean session = 1")
                return
            }
            self.clientID = "auto-" + UUID().uuidString.lowercased()
        } else {
            do throws(HubError) {
                try Device.validateID(connect.clientID)
            } catch {
                self.refuse(.identifierRejected, reason: error.message)
                return
            }
            self.clientID = connect.clientID
            self.isDevice = true
        }
        self.logger[metadataKey: "mqtt.client_id"] = "\(self.clientID)"
        if let will = connect.will {
            do throws(HubError) {
                _ = try Topic(validating: will.topic)
            } catch {
                // 3.1.1 has no return code for a bad will topic: a protocol violation.
                self.protocolViolation("will topic: \(error.message)")
                return
            }
        }
        self.cleanSession = connect.cleanSession
        self.will = connect.will
        let keepAlive = connect.keepAlive
        let access = self.endpoint.access
        let eventLoop = self.eventLoop!
        // Credentials first (issue 7 checks tokens in `MQTTAccess`), then the takeover of an older connection.
        let checked = eventLoop.makeFutureWithTask { await access.authenticate(connect.username, connect.password) }
        checked.whenComplete { [self] result in
            guard self.phase == .connecting else { return }
            switch result {
            case .success(.success(let permissions)):
                self.permissions = permissions
                let previous = self.endpoint.sessions.claim(self.clientID, by: self)
                let settled = previous?.takeOver() ?? eventLoop.makeSucceededVoidFuture()
                settled.hop(to: eventLoop).whenComplete { _ in self.accept(keepAlive: keepAlive) }
            case .success(.failure(let code)):
                self.refuse(code, reason: "credentials refused")
            case .failure(let error):
                self.refuse(.serverUnavailable, reason: "\(error)")
            }
        }
    }

    /// The client is in: CONNACK, keep-alive, its persistent session restored, its device online.
    private func accept(keepAlive: UInt16) {
        guard self.phase == .connecting, let context = self.context else { return }
        var stored: MQTTSessions.State? = nil
        if self.cleanSession {
            // §3.1.2.4: a clean session discards any previous one.
            self.endpoint.sessions.remove(self.clientID)
        } else {
            stored = self.endpoint.sessions.state(of: self.clientID)
        }
        if keepAlive > 0 {
            // §3.1.2.10: nothing received for one and a half keep-alive periods closes the connection.
            let timeout = TimeAmount.milliseconds(Int64(keepAlive) * 1500)
            try? context.pipeline.syncOperations.addHandler(IdleStateHandler(readTimeout: timeout), position: .first)
        }
        self.session = Session(hub: self.hub, eventLoop: context.eventLoop, outlet: self)
        self.phase = .connected
        self.send(.connack(.init(sessionPresent: stored != nil, returnCode: .accepted)))
        if let stored { self.restore(stored) }
        if self.isDevice { self.registerDevice() }
        let pending = self.pending
        self.pending.removeAll()
        for packet in pending where self.phase == .connected { self.handle(packet) }
    }

    /// Subscribes again to what the session had and replays what it missed, from the store.
    private func restore(_ state: MQTTSessions.State) {
        self.positions = state.positions
        var patterns: [TopicPattern] = []
        for (filter, qos) in state.subscriptions {
            guard let pattern = try? TopicPattern(validating: filter) else { continue }
            self.subscriptions[pattern] = QoS(rawValue: qos) ?? .atMostOnce
            patterns.append(pattern)
        }
        guard !patterns.isEmpty else { return }
        // Every topic the filters match now: from its saved position, or from the start if it
        // appeared after the subscription was made.
        var since: [Topic: Int64] = [:]
        for pattern in patterns {
            for (topic, _) in self.hub.topics(matching: pattern) { since[topic] = self.positions[topic.name] ?? 0 }
        }
        self.session?.subscribe(patterns, since: since)
    }

    /// Stores the session's subscriptions and, per topic, the last seq delivered: for QoS 1
    /// topics what the client acknowledged, for QoS 0 what was written to it.
    func saveSession(written: [String: Int64]) {
        for (topic, seq) in written {
            let delivered = self.qos(for: topic) == .atLeastOnce ? (self.acknowledged[topic] ?? 0) : seq
            if delivered > (self.positions[topic] ?? 0) { self.positions[topic] = delivered }
        }
        for (topic, seq) in self.acknowledged where seq > (self.positions[topic] ?? 0) { self.positions[topic] = seq }
        var state = MQTTSessions.State()
        for (pattern, qos) in self.subscriptions { state.subscriptions[pattern.text] = qos.rawValue }
        // Positions of topics no filter matches any more are dropped.
        state.positions = self.positions.filter { topic, _ in
            self.subscriptions.keys.contains { $0.matches(Topic(trusted: topic)) }
        }
        self.endpoint.sessions.save(state, for: self.clientID)
    }

    /// §3.1.2.5: the will is published when the connection ends without DISCONNECT.
    func publishWill(_ will: Connect.Will) {
        guard let topic = try? Topic(validating: will.topic), self.permissions.mayPublish(topic) else { return }
        let logger = self.logger
        self.hub.publish(topic: topic, data: MQTTPayload.data(from: will.payload), from: self.clientID, key: nil) { result in
            if case .failure(let error) = result {
                logger.warning("Publishing the will failed", metadata: ["topic": "\(topic)", "error.type": "\(error)"])
            }
        }
    }
}
