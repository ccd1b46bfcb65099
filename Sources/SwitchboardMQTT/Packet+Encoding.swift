public import NIOCore

extension Packet {
    /// Appends the packet's bytes (fixed header, variable header, payload) to `buffer`.
    public func write(to buffer: inout ByteBuffer) {
        switch self {
        case .connect(let connect): connect.write(to: &buffer)
        case .connack(let connack):
            buffer.writeBytes([0x20, 2, connack.sessionPresent ? 1 : 0, connack.returnCode.rawValue])
        case .publish(let publish): publish.write(to: &buffer)
        case .puback(let id): Self.writeAcknowledgement(0x40, id, to: &buffer)
        case .pubrec(let id): Self.writeAcknowledgement(0x50, id, to: &buffer)
        case .pubrel(let id): Self.writeAcknowledgement(0x62, id, to: &buffer)
        case .pubcomp(let id): Self.writeAcknowledgement(0x70, id, to: &buffer)
        case .subscribe(let subscribe):
            let length = 2 + subscribe.filters.reduce(0) { $0 + 3 + $1.filter.utf8.count }
            buffer.writeInteger(UInt8(0x82))
            buffer.writeRemainingLength(length)
            buffer.writeInteger(subscribe.packetID)
            for filter in subscribe.filters {
                buffer.writeMQTTString(filter.filter)
                buffer.writeInteger(filter.qos.rawValue)
            }
        case .suback(let suback):
            buffer.writeInteger(UInt8(0x90))
            buffer.writeRemainingLength(2 + suback.results.count)
            buffer.writeInteger(suback.packetID)
            for result in suback.results { buffer.writeInteger(result?.rawValue ?? 0x80) }
        case .unsubscribe(let unsubscribe):
            let length = 2 + unsubscribe.filters.reduce(0) { $0 + 2 + $1.utf8.count }
            buffer.writeInteger(UInt8(0xA2))
            buffer.writeRemainingLength(length)
            buffer.writeInteger(unsubscribe.packetID)
            for filter in unsubscribe.filters { buffer.writeMQTTString(filter) }
        case .unsuback(let id): Self.writeAcknowledgement(0xB0, id, to: &buffer)
        case .pingreq: buffer.writeBytes([0xC0, 0])
        case .pingresp: buffer.writeBytes([0xD0, 0])
        case .disconnect: buffer.writeBytes([0xE0, 0])
        }
    }

    /// The packet as a new buffer.
    public var bytes: ByteBuffer {
        var buffer = ByteBuffer()
        self.write(to: &buffer)
        return buffer
    }

    private static func writeAcknowledgement(_ first: UInt8, _ id: UInt16, to buffer: inout ByteBuffer) {
        buffer.writeInteger(first)
        buffer.writeInteger(UInt8(2))
        buffer.writeInteger(id)
    }
}

extension Connect {
    func write(to buffer: inout ByteBuffer) {
        var flags: UInt8 = self.cleanSession ? 0x02 : 0
        var length = 10 + 2 + self.clientID.utf8.count
        if let will = self.will {
            flags |= 0x04 | (will.qos.rawValue << 3) | (will.retain ? 0x20 : 0)
            length += 2 + will.topic.utf8.count + 2 + will.payload.readableBytes
        }
        if let username = self.username {
            flags |= 0x80
            length += 2 + username.utf8.count
        }
        if let password = self.password {
            flags |= 0x40
            length += 2 + password.count
        }
        buffer.writeInteger(UInt8(0x10))
        buffer.writeRemainingLength(length)
        buffer.writeMQTTString("MQTT")
        buffer.writeInteger(self.version.rawValue)
        buffer.writeInteger(flags)
        buffer.writeInteger(self.keepAlive)
        buffer.writeMQTTString(self.clientID)
        if let will = self.will {
            buffer.writeMQTTString(will.topic)
            buffer.writeMQTTBinary(will.payload.readableBytesView)
        }
        if let username = self.username { buffer.writeMQTTString(username) }
        if let password = self.password { buffer.writeMQTTBinary(password) }
    }
}

extension Publish {
    func write(to buffer: inout ByteBuffer) {
        Self.write(topic: self.topic, payload: self.payload, qos: self.qos, packetID: self.packetID, retain: self.retain, dup: self.dup, to: &buffer)
    }

    /// Writes a PUBLISH without building a ``Publish`` first: the server's delivery path.
    public static func write(
        topic: String, payload: ByteBuffer, qos: QoS, packetID: UInt16?, retain: Bool, dup: Bool = false, to buffer: inout ByteBuffer
    ) {
        let topicLength = topic.utf8.count
        let length = 2 + topicLength + (qos == .atMostOnce ? 0 : 2) + payload.readableBytes
        buffer.reserveCapacity(minimumWritableBytes: 1 + ByteBuffer.remainingLengthSize(length) + length)
        buffer.writeInteger(UInt8(0x30) | (dup ? 0x08 : 0) | (qos.rawValue << 1) | (retain ? 0x01 : 0))
        buffer.writeRemainingLength(length)
        buffer.writeInteger(UInt16(topicLength))
        buffer.writeString(topic)
        if qos != .atMostOnce { buffer.writeInteger(packetID ?? 0) }
        buffer.writeImmutableBuffer(payload)
    }
}
