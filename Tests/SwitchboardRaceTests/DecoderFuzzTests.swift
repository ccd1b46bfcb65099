import Foundation
import Testing

@testable import SwitchboardRace

/// Issue 6, item 2: streams cut or corrupted at random offsets never crash or hang the decoder;
/// rows after a cut decode, and what cannot be resolved is `null` — never a wrong value.
@Suite(.enabled(if: JavaFixtures.enabled, "needs javac/java (default-jdk-headless)"))
struct DecoderFuzzTests {
    /// The rows the JDK wrote, as decoded from the whole stream.
    static func expectedRows(_ fixtures: JavaFixtures) -> [ResultRow] {
        RaceInput.decode(stream: fixtures.stream).0.flatMap(\.rows)
    }

    /// Offsets where a row's rank and bib strings start (the fixture writes both as new strings).
    static func rowOffsets(_ bytes: [UInt8], rows: [ResultRow]) -> [(offset: Int, row: ResultRow)] {
        var found: [(Int, ResultRow)] = []
        var searchFrom = 0
        for row in rows {
            let rank = Array(String(row.rank).utf8)
            let bib = Array((row.bib ?? "").utf8)
            let pattern = [0x74, 0, UInt8(rank.count)] + rank + [0x74, 0, UInt8(bib.count)] + bib
            var index = searchFrom
            while index + pattern.count <= bytes.count, !bytes[index..<(index + pattern.count)].elementsEqual(pattern) { index += 1 }
            guard index + pattern.count <= bytes.count else { continue }
            found.append((index, row))
            searchFrom = index + 1
        }
        return found
    }

    /// A decoded row agrees with the written one: the same rank and bib, every other field equal or `nil`.
    static func agrees(_ decoded: ResultRow, with written: ResultRow) -> Bool {
        func fits(_ value: String?, _ truth: String?) -> Bool { value == nil || value == truth }
        return decoded.rank == written.rank && decoded.bib == written.bib && fits(decoded.name, written.name)
            && fits(decoded.club, written.club) && fits(decoded.raceClass, written.raceClass)
            && fits(decoded.time, written.time) && fits(decoded.gap, written.gap)
    }

    static func decodeTimed(_ bytes: ArraySlice<UInt8>, chunk: Int) -> (rows: [ResultRow], seconds: Double) {
        let started = Date()
        var decoder = StandingsDecoder()
        var snapshots: [Snapshot] = []
        var offset = bytes.startIndex
        while offset < bytes.endIndex {
            let end = min(bytes.endIndex, offset + chunk)
            snapshots += decoder.feed(bytes[offset..<end])
            offset = end
        }
        snapshots += decoder.finish()
        return (snapshots.flatMap(\.rows), Date().timeIntervalSince(started))
    }

    @Test(.tags(.fuzz)) func joiningAtRandomOffsetsDecodesTheRowsAfterTheCutAndNeverAWrongValue() throws {
        let fixtures = try JavaFixtures.load()
        let written = Self.expectedRows(fixtures)
        let offsets = Self.rowOffsets(fixtures.stream, rows: written)
        #expect(offsets.count == written.count)
        var rng = SeededRNG(seed: 0x6_001)
        for round in 0..<60 {
            let cut = rng.int(0..<fixtures.stream.count)
            let chunk = [1, 7, 536, 1460, 100_000][round % 5]
            let (rows, seconds) = Self.decodeTimed(fixtures.stream[cut...], chunk: chunk)
            #expect(seconds < 10, "cut at \(cut): \(seconds) s")
            // Every row whose strings start well after the cut (its array header is before them) is found, in order.
            let whole = offsets.filter { $0.offset >= cut + 64 }.map(\.row)
            let tail = Array(rows.suffix(whole.count))
            #expect(tail.count == whole.count && zip(tail, whole).allSatisfy { $0.rank == $1.rank && $0.bib == $1.bib }, "cut at \(cut)")
            for row in rows {
                #expect(written.contains { Self.agrees(row, with: $0) }, "cut at \(cut): \(row) was never written")
            }
        }
    }

    @Test(.tags(.fuzz)) func corruptedAndTruncatedStreamsNeverCrashOrHang() throws {
        let fixtures = try JavaFixtures.load()
        var rng = SeededRNG(seed: 0x6_002)
        for round in 0..<150 {
            var bytes = fixtures.stream
            let start = rng.int(0..<bytes.count)
            let end = min(bytes.count, start + rng.int(1..<20_000))
            switch round % 3 {
            case 0:  // flip bytes
                for _ in 0..<rng.int(1..<20) { bytes[rng.int(0..<bytes.count)] = UInt8(truncatingIfNeeded: rng.next()) }
            case 1:  // a piece missing
                bytes.removeSubrange(start..<end)
            default:  // random bytes instead of a piece
                for index in start..<end { bytes[index] = UInt8(truncatingIfNeeded: rng.next()) }
            }
            let (_, seconds) = Self.decodeTimed(bytes[...], chunk: [1, 13, 1460][round % 3] * (round % 2 == 0 ? 1 : 50))
            #expect(seconds < 10, "round \(round): \(seconds) s")
        }
    }

    @Test(.tags(.fuzz)) func randomBytesNeverCrashOrHang() {
        var rng = SeededRNG(seed: 0x6_003)
        let alphabet: [UInt8] = [0x70, 0x71, 0x72, 0x73, 0x74, 0x75, 0x77, 0x78, 0x79, 0x7A, 0x7C, 0x7D, 0x7E, 0x00, 0x7E, 0xAC, 0xED, 0x05, 0xFF]
        for round in 0..<300 {
            let count = rng.int(0..<4000)
            let bytes = (0..<count).map { _ in rng.chance(0.6) ? alphabet[rng.int(0..<alphabet.count)] : UInt8(truncatingIfNeeded: rng.next()) }
            let (_, seconds) = Self.decodeTimed(bytes[...], chunk: round % 2 == 0 ? 1 : 4096)
            #expect(seconds < 5, "round \(round)")
        }
    }
}

extension Tag {
    /// Randomised, seeded property tests (reproducible: the seed is in the test).
    @Tag static var fuzz: Self
}
