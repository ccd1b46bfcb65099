import Foundation
import Testing

@testable import SwitchboardRace

/// Issue 6: captures — pcap and pcapng, TCP reassembly with reordering, retransmission, both
/// directions and a restarted connection — decode to exactly the snapshots the JDK wrote.
@Suite(.enabled(if: JavaFixtures.enabled, "needs javac/java (default-jdk-headless)"))
struct CaptureTests {
    static let winlaufen = TCPEndpoint(address: [127, 0, 0, 1], port: 50123)
    static let sprecher = TCPEndpoint(address: [127, 0, 0, 1], port: 4711)

    /// The JDK stream over loopback: the first stream on one connection, the second after it
    /// restarted on the same ports; segments reordered and retransmitted (some overlapping
    /// differently); the Sprecher-PC's answers in the other direction.
    static func messyCapture(_ fixtures: JavaFixtures) -> CaptureWriter {
        let first = Array(fixtures.stream[..<fixtures.firstStreamLength])
        let second = Array(fixtures.stream[fixtures.firstStreamLength...])
        var rng = SeededRNG(seed: 6)
        var packets: [CaptureWriter.Packet] = []
        for (index, part) in [first, second].enumerated() {
            var conversation = CaptureWriter.conversation(
                part, from: Self.winlaufen, to: Self.sprecher, initialSequence: UInt32.max - 5000 + UInt32(index) * 77, segmentSize: 1460)
            // Swap neighbours now and then (the SYN stays first, the FIN last).
            var position = 1
            while position + 2 < conversation.count - 1 {
                if rng.chance(0.3) { conversation.swapAt(position, position + 1) }
                position += 2
            }
            var messy: [CaptureWriter.Packet] = []
            for packet in conversation {
                messy.append(packet)
                if !packet.payload.isEmpty, rng.chance(0.2) {
                    messy.append(packet)  // retransmitted as it was
                }
                if packet.payload.count > 100, rng.chance(0.2) {
                    // Retransmitted as a smaller segment that starts earlier: overlaps what was delivered.
                    var overlap = packet
                    overlap.payload = Array(packet.payload[..<50])
                    messy.append(overlap)
                }
                // The other direction: the Sprecher-PC acknowledges with a few bytes of its own.
                if rng.chance(0.1) {
                    messy.append(.init(from: Self.sprecher, to: Self.winlaufen, sequence: UInt32(messy.count * 3), flags: 0x18, payload: [0x01, 0x02, 0x03]))
                }
            }
            packets += messy
        }
        return CaptureWriter(packets: packets)
    }

    @Test func aPcapOfTheStreamDecodesExactly() throws {
        let fixtures = try JavaFixtures.load()
        let capture = Self.messyCapture(fixtures).pcap()
        #expect(RaceInput.format(of: capture) == .pcap)
        let decoded = try RaceInput.snapshots(in: capture, port: 4711)
        #expect(decoded.snapshots.map(\.json) == fixtures.expected)
        #expect(decoded.statistics.streamHeaders == 2)
        #expect(decoded.statistics.unresolvedReferences == 0)
    }

    @Test func aPcapngOfTheStreamDecodesExactly() throws {
        let fixtures = try JavaFixtures.load()
        let capture = Self.messyCapture(fixtures).pcapng()
        #expect(RaceInput.format(of: capture) == .pcapng)
        #expect(try RaceInput.snapshots(in: capture).snapshots.map(\.json) == fixtures.expected)
    }

    @Test func aCaptureFedOneFrameAtATimeWithLiveFlushesStillDecodesExactly() throws {
        let fixtures = try JavaFixtures.load()
        let frames = try PcapFile.frames(Self.messyCapture(fixtures).pcap())
        var decoder = CaptureDecoder(port: 4711)
        var snapshots: [Snapshot] = []
        for frame in frames { snapshots += decoder.add(frame) }
        snapshots += decoder.finish()
        #expect(snapshots.map(\.json) == fixtures.expected)
    }

    @Test func anotherPortDecodesNothing() throws {
        let fixtures = try JavaFixtures.load()
        #expect(try RaceInput.snapshots(in: Self.messyCapture(fixtures).pcap(), port: 80).snapshots.isEmpty)
    }
}

/// TCP reassembly on its own.
@Suite struct TCPReassemblerTests {
    static let a = TCPEndpoint(address: [10, 0, 0, 1], port: 1000)
    static let b = TCPEndpoint(address: [10, 0, 0, 2], port: 2000)
    static let flow = TCPFlow(source: a, destination: b)

    static func segment(_ sequence: UInt32, _ text: String, syn: Bool = false, fin: Bool = false, from: TCPEndpoint = a, to: TCPEndpoint = b) -> TCPSegment {
        TCPSegment(flow: TCPFlow(source: from, destination: to), sequence: sequence, syn: syn, fin: fin, rst: false, payload: Array(text.utf8)[...])
    }

    static func text(_ events: [TCPReassembler.Event], flow: TCPFlow = flow) -> String {
        events.map {
            switch $0 {
            case .data(let f, let bytes) where f == flow: String(decoding: bytes, as: UTF8.self)
            case .gap(let f) where f == flow: "|gap|"
            case .opened(let f) where f == flow: "|open|"
            case .closed(let f) where f == flow: "|close|"
            default: ""
            }
        }.joined()
    }

    @Test func outOfOrderRetransmittedAndOverlappingSegmentsDeliverEachByteOnceInOrder() {
        var reassembler = TCPReassembler()
        var events: [TCPReassembler.Event] = []
        // Sequence numbers wrap around in the middle.
        let start = UInt32.max - 3
        for segment in [
            Self.segment(start, "", syn: true),
            Self.segment(start &+ 6, "world"),  // early
            Self.segment(start &+ 1, "hello"),
            Self.segment(start &+ 1, "hello"),  // retransmitted
            Self.segment(start &+ 4, "lo wor"),  // overlapping both
            Self.segment(start &+ 11, "!", fin: true),
        ] {
            events += reassembler.add(segment)
        }
        #expect(Self.text(events) == "|open|helloworld!|close|")
    }

    @Test func bothDirectionsStayApart() {
        var reassembler = TCPReassembler()
        var events: [TCPReassembler.Event] = []
        events += reassembler.add(Self.segment(100, "abc"))
        events += reassembler.add(Self.segment(900, "xyz", from: Self.b, to: Self.a))
        events += reassembler.add(Self.segment(103, "def"))
        #expect(Self.text(events) == "abcdef", "joined mid-connection: the stream starts at the first segment seen")
        #expect(Self.text(events, flow: TCPFlow(source: Self.b, destination: Self.a)) == "xyz")
    }

    @Test func aRestartedConnectionStartsAfresh() {
        var reassembler = TCPReassembler()
        var events: [TCPReassembler.Event] = []
        events += reassembler.add(Self.segment(10, "", syn: true))
        events += reassembler.add(Self.segment(11, "first"))
        events += reassembler.add(Self.segment(5000, "", syn: true))
        events += reassembler.add(Self.segment(5001, "second"))
        #expect(Self.text(events) == "|open|first|close||open|second")
    }

    @Test func missingBytesBecomeAGapAtTheEnd() {
        var reassembler = TCPReassembler()
        var events: [TCPReassembler.Event] = []
        events += reassembler.add(Self.segment(10, "", syn: true))
        events += reassembler.add(Self.segment(11, "one"))
        events += reassembler.add(Self.segment(20, "three"))  // "two" was never captured
        events += reassembler.finish()
        #expect(Self.text(events) == "|open|one|gap|three|close|")
    }

    @Test func tooMuchWaitingBecomesAGapAtOnce() {
        var reassembler = TCPReassembler()
        reassembler.limits.maxPendingSegments = 2
        var events: [TCPReassembler.Event] = []
        events += reassembler.add(Self.segment(10, "", syn: true))
        for index in 0..<3 { events += reassembler.add(Self.segment(UInt32(100 + index), "\(index)")) }
        #expect(Self.text(events) == "|open||gap|012")
    }
}
