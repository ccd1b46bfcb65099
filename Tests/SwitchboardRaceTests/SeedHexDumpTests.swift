import Testing

@testable import SwitchboardRace

/// Issue 6, item 5: seed 001's own hex dump, which begins in the middle of a connection.
@Suite struct SeedHexDumpTests {
    static let expected = [
        #"{"rank":1,"bib":"67","name":"LOGES Margit","club":null,"class":null,"time":"4:30:15.9","gap":"0:00:00.0"}"#,
        #"{"rank":2,"bib":"68","name":"BROCKMEIER Sofie","club":null,"class":null,"time":"4:34:51.7","gap":"0:04:35.8"}"#,
        #"{"rank":3,"bib":"69","name":"EVANS Denny","club":null,"class":null,"time":"4:36:57.1","gap":"0:06:41.2"}"#,
        #"{"rank":4,"bib":"70","name":"RÄTZ Sigishelm","club":null,"class":null,"time":"4:39:36.4","gap":"0:09:20.5"}"#,
        #"{"rank":5,"bib":"71","name":"GIESBRECHT Hendrik","club":null,"class":null,"time":"4:47:25.3","gap":"0:17:09.4"}"#,
        #"{"rank":6,"bib":"72","name":"FREITAG Hellmut","club":"Rammingen","class":null,"time":"4:56:48.5","gap":"0:26:32.6"}"#,
    ]

    @Test func theSixRowsDecodeWithNullsForReferencesBeforeTheDump() throws {
        let dump = try Fixtures.bytes("seed001-hexdump.txt")
        #expect(RaceInput.format(of: dump) == .hexDump)
        let decoded = try RaceInput.snapshots(in: dump)
        #expect(decoded.snapshots.map(\.json) == [#"{"rows":["# + Self.expected.joined(separator: ",") + "]}"])
        // Per array its class, club and class (the sixth sends its club): never guessed, counted.
        #expect(decoded.statistics.unresolvedReferences == 5 * 3 + 2)
    }

    @Test func theHexDumpReaderTakesTheBytesAndNotTheTextColumn() {
        let text = """
            00e0  00 00 71 00  ..q.
            0110  05 75 71 00 7E 00 23 00  00 00 07 74 00 01 31 74  .uq.~.#....t..1t
            02c0  61 62        ab
            """
        #expect(HexDump.parse(text) == [0, 0, 0x71, 0, 0x05, 0x75, 0x71, 0, 0x7E, 0, 0x23, 0, 0, 0, 7, 0x74, 0, 1, 0x31, 0x74, 0x61, 0x62])
        #expect(HexDump.parse("just some text\n") == nil)
    }
}
