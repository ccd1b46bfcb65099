import Logging
import NIOCore
import SwitchboardCore
import SwitchboardMQTT

/// Deliveries as PUBLISH packets. The ``Session`` decides what to send and when;
/// these methods only encode and write.
///
/// At QoS 0 a run of messages is encoded once and shared by every MQTT subscriber
/// of the topic (``MessageRun/encoded(_:_:)``); at QoS 1 each delivery carries this
/// connection's packet id and waits in ``MQTTConnection/inflight`` for its PUBACK.
extension MQTTConnection: Outlet {
    private static let sharedFormat = "mqtt.qos0"

    func encode(_ message: Message) -> ByteBuffer {
        var buffer = ByteBuffer()
        self.writePublish(topic: message.topic.name, seq: message.seq, data: message.data, to: &buffer)
        return buffer
    }

    func encode(_ run: MessageRun) -> ByteBuffer {
        let topic = run.topic.name
        if let retained = self.retainedPending[topic], retained < run.firstSeq { self.retainedPending[topic] = nil }
        if self.qos(for: topic) == .atMostOnce && self.retainedPending[topic] == nil {
            return run.encoded(Self.sharedFormat) { run in
                var buffer = ByteBuffer()
                for message in run.messages {
                    Publish.write(topic: topic, payload: MQTTPayload.payload(from: message.data), qos: .atMostOnce, packetID: nil, retain: false, to: &buffer)
                }
                return buffer
            }
        }
        var buffer = ByteBuffer()
        for message in run.messages { self.writePublish(topic: topic, seq: message.seq, data: message.data, to: &buffer) }
        return buffer
    }

    func encode(_ rows: ArraySlice<StoredMessage>, topic: Topic) -> ByteBuffer {
        var buffer = ByteBuffer()
        for row in rows { self.writePublish(topic: topic.name, seq: row.seq, data: row.data, to: &buffer) }
        return buffer
    }

    /// Packet ids and retained flags are this connection's state: rows are encoded here, on its loop.
    func replayEncoding(topic: Topic) -> StoredRowEncoding? {
        nil
    }

    /// MQTT has no way to say "messages were lost": the client simply gets what is still stored.
    func encodeGap(topic: Topic, from: Int64, to: Int64) -> ByteBuffer {
        self.logger.info("MQTT client resumes after a gap", metadata: ["topic": "\(topic)", "gap.from": "\(from)", "gap.to": "\(to)"])
        return ByteBuffer()
    }

    func write(_ bytes: ByteBuffer, promise: EventLoopPromise<Void>?) {
        guard let context = self.context else {
            promise?.fail(ChannelError.ioOnClosedChannel)
            return
        }
        context.write(Self.wrapOutboundOut(bytes), promise: promise)
    }

    func flush() {
        self.context?.flush()
    }

    func closeSlowConsumer(reason: String) {
        self.logger.info("MQTT client too slow; closing", metadata: ["reason": "\(reason)"])
        ServerMetrics.shared.error(code: "slow_consumer", transport: self.transport)
        self.close(reason: reason)
    }

    /// One PUBLISH for message `seq` of `topic`, at the topic's delivery QoS.
    private func writePublish(topic: String, seq: Int64, data: ByteBuffer, to buffer: inout ByteBuffer) {
        let payload = MQTTPayload.payload(from: data)
        var retain = false
        if let retained = self.retainedPending[topic], retained == seq {
            self.retainedPending[topic] = nil
            // An empty payload as the newest message means the topic has no retained message (§3.3.1.3).
            if payload.readableBytes == 0 { return }
            retain = true
        }
        let qos = self.qos(for: topic)
        var packetID: UInt16? = nil
        if qos == .atLeastOnce {
            guard let id = self.nextPacketID() else { return }
            self.inflight[id] = (topic, seq)
            packetID = id
        }
        Publish.write(topic: topic, payload: payload, qos: qos, packetID: packetID, retain: retain, to: &buffer)
    }

    /// A packet id not in flight; `nil` (and the connection closes as a slow consumer) when
    /// the client leaves too many deliveries unacknowledged.
    private func nextPacketID() -> UInt16? {
        guard self.inflight.count < self.endpoint.maxInflight else {
            self.eventLoop?.execute { self.closeSlowConsumer(reason: "more than \(self.endpoint.maxInflight) QoS 1 messages unacknowledged") }
            return nil
        }
        repeat {
            self.lastPacketID = self.lastPacketID == UInt16.max ? 1 : self.lastPacketID + 1
        } while self.inflight[self.lastPacketID] != nil
        return self.lastPacketID
    }

    /// PUBACK of a QoS 1 delivery.
    func acknowledged(_ id: UInt16) {
        guard let delivery = self.inflight.removeValue(forKey: id) else { return }
        if delivery.seq > (self.acknowledged[delivery.topic] ?? 0) { self.acknowledged[delivery.topic] = delivery.seq }
    }
}
