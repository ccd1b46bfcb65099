import NIOCore
import SwitchboardCore

/// How messages travel between nodes through Redis, in a form a Lua script
/// can put together without parsing JSON.
///
/// - entry (one message, also the value of a recent-log stream entry):
///   `<ts>:<from length or ->:<from><data>`
/// - announcement (one PUBLISH per topic and commit batch):
///   `<topic length>:<topic><first seq>:<count>:` then `count` × `<entry length>:<entry>`
enum ClusterCodec {
    struct Announcement {
        var topic: String
        var firstSeq: Int64
        var messages: [StoredMessage]
    }

    struct Malformed: Error, CustomStringConvertible {
        let description: String
    }

    static func entry(_ message: StoredMessage) -> ByteBuffer {
        var buffer = ByteBuffer()
        buffer.reserveCapacity(message.data.readableBytes + 32)
        buffer.writeString("\(message.ts):")
        if let from = message.from {
            buffer.writeString("\(from.utf8.count):")
            buffer.writeString(from)
        } else {
            buffer.writeString("-:")
        }
        buffer.writeImmutableBuffer(message.data)
        return buffer
    }

    /// `<topic length>:<topic>`, the part of an announcement the script starts with.
    static func header(topic: String) -> String {
        "\(topic.utf8.count):\(topic)"
    }

    static func decodeEntry(_ entry: ByteBuffer, topic: String, seq: Int64) throws(Malformed) -> StoredMessage {
        var buffer = entry
        let ts = try Self.number(&buffer, "ts")
        let from: String?
        if buffer.readableBytes > 0, buffer.getInteger(at: buffer.readerIndex, as: UInt8.self) == UInt8(ascii: "-") {
            buffer.moveReaderIndex(forwardBy: 1)
            guard buffer.readInteger(as: UInt8.self) == UInt8(ascii: ":") else { throw Malformed(description: "expected ':' after '-'") }
            from = nil
        } else {
            let length = try Self.number(&buffer, "from length")
            guard length >= 0, let text = buffer.readString(length: Int(length)) else { throw Malformed(description: "from is cut short") }
            from = text
        }
        return StoredMessage(topic: topic, seq: seq, ts: ts, from: from, data: buffer.slice())
    }

    static func decodeAnnouncement(_ payload: ByteBuffer) throws(Malformed) -> Announcement {
        var buffer = payload
        let topicLength = try Self.number(&buffer, "topic length")
        guard topicLength > 0, let topic = buffer.readString(length: Int(topicLength)) else { throw Malformed(description: "topic is cut short") }
        let first = try Self.number(&buffer, "first seq")
        let count = try Self.number(&buffer, "count")
        guard first > 0, count >= 0, count <= Int64(buffer.readableBytes) else { throw Malformed(description: "bad first seq or count") }
        var messages: [StoredMessage] = []
        messages.reserveCapacity(Int(count))
        for index in 0..<count {
            let length = try Self.number(&buffer, "entry length")
            guard length >= 0, let entry = buffer.readSlice(length: Int(length)) else { throw Malformed(description: "entry \(index) is cut short") }
            messages.append(try Self.decodeEntry(entry, topic: topic, seq: first + index))
        }
        guard buffer.readableBytes == 0 else { throw Malformed(description: "\(buffer.readableBytes) bytes after the last entry") }
        return Announcement(topic: topic, firstSeq: first, messages: messages)
    }

    /// Reads decimal digits (an optional leading '-') up to a ':'.
    private static func number(_ buffer: inout ByteBuffer, _ what: String) throws(Malformed) -> Int64 {
        var value: Int64 = 0
        var negative = false
        var digits = 0
        while let byte = buffer.readInteger(as: UInt8.self) {
            if byte == UInt8(ascii: ":") {
                guard digits > 0 else { break }
                return negative ? -value : value
            }
            if byte == UInt8(ascii: "-") && digits == 0 && !negative {
                negative = true
                continue
            }
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9"), digits < 18 else { break }
            value = value * 10 + Int64(byte - UInt8(ascii: "0"))
            digits += 1
        }
        throw Malformed(description: "\(what) is not a number followed by ':'")
    }
}
