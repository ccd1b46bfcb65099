import Foundation
import Testing

@testable import SwitchboardRace

/// Issue 6, shown with streams the real JDK wrote: every snapshot decodes exactly, whatever the chunking.
@Suite(.enabled(if: JavaFixtures.enabled, "needs javac/java (default-jdk-headless)"))
struct JavaStreamTests {
    static func decode(_ bytes: [UInt8], chunkSizes: [Int]) -> (snapshots: [String], statistics: StandingsDecoder.Statistics) {
        var decoder = StandingsDecoder()
        var snapshots: [Snapshot] = []
        var offset = 0
        var turn = 0
        while offset < bytes.count {
            let size = chunkSizes[turn % chunkSizes.count]
            turn += 1
            let end = min(bytes.count, offset + size)
            snapshots += decoder.feed(bytes[offset..<end])
            offset = end
        }
        snapshots += decoder.finish()
        return (snapshots.map(\.json), decoder.statistics)
    }

    @Test func everySnapshotDecodesExactlyFromTheWholeStream() throws {
        let fixtures = try JavaFixtures.load()
        let (snapshots, statistics) = Self.decode(fixtures.stream, chunkSizes: [fixtures.stream.count])
        #expect(snapshots == fixtures.expected)
        #expect(statistics.unresolvedReferences == 0)
        #expect(statistics.corruptElements == 0)
        #expect(statistics.skippedBytes == 0)
        #expect(statistics.streamHeaders == 2)
    }

    @Test func everySnapshotDecodesExactlyFedOneByteAtATime() throws {
        let fixtures = try JavaFixtures.load()
        #expect(Self.decode(fixtures.stream, chunkSizes: [1]).snapshots == fixtures.expected)
    }

    @Test func everySnapshotDecodesExactlyInChunksOfMixedSizes() throws {
        let fixtures = try JavaFixtures.load()
        #expect(Self.decode(fixtures.stream, chunkSizes: [3, 1460, 7, 65536, 1, 536, 2]).snapshots == fixtures.expected)
    }

    @Test func theFixtureHasWhatTheIssueAsksFor() throws {
        let fixtures = try JavaFixtures.load()
        let text = fixtures.expected.joined(separator: "\n")
        for name in ["RÄTZ Sigishelm", "GROß Jürgen", "ÖZTÜRK Ayşe", "ŁUKASZ Zoë 🏃"] { #expect(text.contains(name)) }
        let bytes = fixtures.stream
        func count(_ pattern: [UInt8]) -> Int {
            guard bytes.count >= pattern.count else { return 0 }
            return (0...(bytes.count - pattern.count)).filter { bytes[$0..<($0 + pattern.count)].elementsEqual(pattern) }.count
        }
        #expect(count([0xAC, 0xED, 0x00, 0x05]) == 2, "two stream headers")
        #expect(count([0x79, 0x73, 0x72]) >= 2, "resets")
        #expect(count([0x7C, 0x00, 0x00, 0x00, 0x00]) >= 1, "a long string")
        #expect(count([0x7D, 0x00, 0x00, 0x00, 0x01]) >= 1, "a proxy class description")
        #expect(count([0x7E, 0x72]) >= 1, "an enum")
    }
}
