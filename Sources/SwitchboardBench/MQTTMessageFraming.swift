import NIOCore

/// Each message as one PUBLISH packet at QoS 0 (MQTT 3.1.1 §3.3). The message is
/// written first, after room for the largest fixed header, and the header is then
/// filled in just in front of it: one buffer per message and no copy, as for
/// WebSocket frames.
struct MQTTMessageFraming: MessageFraming {
    private let topic: [UInt8]

    init(topic: String) { self.topic = Array(topic.utf8) }

    mutating func write(index: Int, intendedTime: UInt64, size: Int, to channel: any Channel) {
        // First byte, at most four bytes of length, the topic name.
        let headerRoom = 1 + 4 + 2 + topic.count
        var buffer = channel.allocator.buffer(capacity: headerRoom + size + 64)
        buffer.writeRepeatingByte(0, count: headerRoom)
        buffer.moveReaderIndex(to: headerRoom)
        BenchMessage.write(index: index, intendedTime: intendedTime, size: size, into: &buffer)
        let remaining = 2 + topic.count + buffer.readableBytes
        let start = headerRoom - (1 + MQTTPacket.lengthSize(remaining) + 2 + topic.count)
        var at = start
        at += buffer.setInteger(UInt8(0x30), at: at)  // PUBLISH, QoS 0, no DUP, no RETAIN
        at += MQTTPacket.setLength(remaining, at: at, in: &buffer)
        at += buffer.setInteger(UInt16(topic.count), at: at)
        buffer.setBytes(topic, at: at)
        buffer.moveReaderIndex(to: start)
        channel.write(buffer, promise: nil)
    }
}
