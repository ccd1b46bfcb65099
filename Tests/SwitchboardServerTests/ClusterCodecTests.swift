import NIOCore
import Testing

@testable import SwitchboardCore
@testable import SwitchboardServer

/// The format messages travel in between nodes (what the announce script builds).
@Suite struct ClusterCodecTests {
    static func announcement(topic: String, first: Int64, _ messages: [StoredMessage]) -> ByteBuffer {
        // Built the way the Lua script builds it: header, first seq, count, then length-prefixed entries.
        var buffer = ByteBuffer(string: ClusterCodec.header(topic: topic) + "\(first):\(messages.count):")
        for message in messages {
            let entry = ClusterCodec.entry(message)
            buffer.writeString("\(entry.readableBytes):")
            buffer.writeImmutableBuffer(entry)
        }
        return buffer
    }

    @Test func entriesAndAnnouncementsRoundTripExactBytes() throws {
        let messages = [
            StoredMessage(topic: "lab/ü", seq: 0, ts: 1_700_000_000_123, from: "esp32:1", data: ByteBuffer(string: #"{"t":21.5,"s":"a:b"}"#)),
            StoredMessage(topic: "lab/ü", seq: 0, ts: 1, from: nil, data: ByteBuffer(string: "42")),
            StoredMessage(topic: "lab/ü", seq: 0, ts: 2, from: "", data: ByteBuffer(string: #""-:""#)),
        ]
        let decoded = try ClusterCodec.decodeAnnouncement(Self.announcement(topic: "lab/ü", first: 41, messages))
        #expect(decoded.topic == "lab/ü" && decoded.firstSeq == 41)
        #expect(decoded.messages.map(\.seq) == [41, 42, 43])
        #expect(decoded.messages.map(\.from) == ["esp32:1", nil, ""])
        #expect(decoded.messages.map(\.ts) == [1_700_000_000_123, 1, 2])
        #expect(decoded.messages.map { String(buffer: $0.data) } == messages.map { String(buffer: $0.data) })
    }

    @Test func malformedInputIsRefusedNeverCrashes() {
        let valid = Self.announcement(
            topic: "a/b", first: 7, [StoredMessage(topic: "a/b", seq: 0, ts: 5, from: "x", data: ByteBuffer(string: "[1,2]"))])
        let bytes = Array(valid.readableBytesView)
        // Every truncation, and random bytes: errors, never traps.
        for cut in 0..<bytes.count {
            #expect(throws: ClusterCodec.Malformed.self) { try ClusterCodec.decodeAnnouncement(ByteBuffer(bytes: bytes[..<cut])) }
        }
        var random = SystemRandomNumberGenerator()
        for _ in 0..<20_000 {
            var mutated = bytes
            for _ in 0..<Int.random(in: 1...4, using: &random) {
                mutated[Int.random(in: 0..<mutated.count, using: &random)] = UInt8.random(in: 0...255, using: &random)
            }
            _ = try? ClusterCodec.decodeAnnouncement(ByteBuffer(bytes: mutated))
        }
        #expect(throws: ClusterCodec.Malformed.self) { try ClusterCodec.decodeAnnouncement(ByteBuffer(string: "3:a/b1:99999999999999999999:")) }
    }
}
