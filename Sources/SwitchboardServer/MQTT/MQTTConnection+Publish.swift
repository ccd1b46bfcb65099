import Logging
import NIOCore
import SwitchboardControl
import SwitchboardCore
import SwitchboardMQTT

/// Inbound PUBLISH (§3.3–§3.7): stored by the hub, acknowledged only after commit.
///
/// - QoS 0: stored; nothing is answered.
/// - QoS 1: PUBACK once committed — the same guarantee as an `ok` on `/ws`.
/// - QoS 2: stored once, PUBREC once committed; a resent PUBLISH with the same packet
///   id before PUBREL is not stored again; PUBREL is answered PUBCOMP (method B of §4.3.3).
///
/// 3.1.1 has no negative acknowledgement: a publish the hub cannot take (a topic
/// outside the naming rules, a refused scope, data over the limit, a full commit
/// queue) closes the connection at QoS 1 and 2 ([MQTT-3.3.5-2]) and is dropped at QoS 0.
extension MQTTConnection {
    func received(_ publish: Publish) {
        if let id = publish.packetID, publish.qos == .exactlyOnce, let committed = self.awaitingRelease[id] {
            // A resend of a QoS 2 message already stored: acknowledge again (or once its commit is done).
            if committed { self.send(.pubrec(packetID: id)) }
            return
        }
        let topic: Topic
        do throws(HubError) {
            topic = try Topic(validating: publish.topic)
        } catch {
            self.refusePublish(publish, error)
            return
        }
        guard self.permissions.mayPublish(topic) else {
            self.refusePublish(publish, .forbidden("no permission to publish to '\(topic)'"))
            return
        }
        if let device = DeviceTopics.commandTarget(topic) {
            self.sendCommand(publish, to: device)
            return
        }
        if let device = DeviceTopics.resultSender(topic), device == self.registeredDevice {
            self.answerCommand(publish.payload)
        }
        if let id = publish.packetID, publish.qos == .exactlyOnce { self.awaitingRelease[id] = false }
        let eventLoop = self.eventLoop!
        self.hub.publish(topic: topic, data: MQTTPayload.data(from: publish.payload), from: self.clientID, key: nil) { [self] result in
            eventLoop.execute {
                switch result {
                case .success: self.acknowledge(publish)
                case .failure(let error): self.refusePublish(publish, error)
                }
            }
        }
    }

    /// Sends what the QoS asks for once the message is committed.
    func acknowledge(_ publish: Publish) {
        guard self.phase == .connected, let id = publish.packetID else { return }
        switch publish.qos {
        case .atMostOnce: break
        case .atLeastOnce: self.send(.puback(packetID: id))
        case .exactlyOnce:
            self.awaitingRelease[id] = true
            self.send(.pubrec(packetID: id))
        }
    }

    /// PUBREL: the client will not resend that QoS 2 message; forget its id (§4.3.3).
    func released(_ id: UInt16) {
        self.awaitingRelease[id] = nil
        self.send(.pubcomp(packetID: id))
    }

    func refusePublish(_ publish: Publish, _ error: HubError) {
        ServerMetrics.shared.error(code: error.code, transport: self.transport)
        if let id = publish.packetID { self.awaitingRelease[id] = nil }
        if publish.qos == .atMostOnce {
            self.logger.info("MQTT publish dropped", metadata: ["topic": "\(publish.topic)", "error.type": "\(error)"])
            return
        }
        self.protocolViolation("publish to '\(publish.topic)' refused (\(error)); MQTT 3.1.1 can only close the connection")
    }
}
