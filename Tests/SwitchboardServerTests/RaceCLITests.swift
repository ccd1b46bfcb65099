import Foundation
import Testing

/// Issue 6, item 5: `switchboard race decode` on seed 001's own hex dump, through the real binary.
@Suite struct RaceCLITests {
    @Test func decodingTheSeedsHexDumpPrintsItsSixRowsWithNullsForWhatCameBefore() throws {
        let output = try CLITests.run(["race", "decode", RaceFixtures.seedHexDump])
        #expect(output.status == 0, "\(output.stderr)")
        let lines = output.stdout.split(separator: "\n").map(String.init)
        #expect(lines.count == 1, "one snapshot: \(output.stdout)")
        let rows = [
            #"{"rank":1,"bib":"67","name":"LOGES Margit","club":null,"class":null,"time":"4:30:15.9","gap":"0:00:00.0"}"#,
            #"{"rank":2,"bib":"68","name":"BROCKMEIER Sofie","club":null,"class":null,"time":"4:34:51.7","gap":"0:04:35.8"}"#,
            #"{"rank":3,"bib":"69","name":"EVANS Denny","club":null,"class":null,"time":"4:36:57.1","gap":"0:06:41.2"}"#,
            #"{"rank":4,"bib":"70","name":"RÄTZ Sigishelm","club":null,"class":null,"time":"4:39:36.4","gap":"0:09:20.5"}"#,
            #"{"rank":5,"bib":"71","name":"GIESBRECHT Hendrik","club":null,"class":null,"time":"4:47:25.3","gap":"0:17:09.4"}"#,
            #"{"rank":6,"bib":"72","name":"FREITAG Hellmut","club":"Rammingen","class":null,"time":"4:56:48.5","gap":"0:26:32.6"}"#,
        ]
        #expect(lines.first == #"{"rows":["# + rows.joined(separator: ",") + "]}")
        #expect(output.stderr.contains("17 references to what was sent before the stream was joined are null"), "\(output.stderr)")
    }

    @Test func aStartListIsJoinedAndABadOneNamesItsLine() throws {
        let directory = TestFiles.temporaryDirectory()
        let good = directory + "/Startlist.csv"
        try "Startnummer,Verein,Nation\n72,Rammingen,GER\n70,SC Wörth,AUT\n".write(toFile: good, atomically: true, encoding: .utf8)
        let joined = try CLITests.run(["race", "decode", RaceFixtures.seedHexDump, "--startlist", good])
        #expect(joined.status == 0, "\(joined.stderr)")
        #expect(joined.stdout.contains(#""name":"RÄTZ Sigishelm","club":null,"class":null,"time":"4:39:36.4","gap":"0:09:20.5","Verein":"SC Wörth","Nation":"AUT"}"#))
        let bad = directory + "/Bad.csv"
        try "Startnummer;Verein\n72;Rammingen\n70;SC Wörth;AUT\n".write(toFile: bad, atomically: true, encoding: .utf8)
        let refused = try CLITests.run(["race", "decode", RaceFixtures.seedHexDump, "--startlist", bad])
        #expect(refused.status != 0)
        #expect(refused.stderr.contains("line 3: 3 fields, but the header has 2"), "\(refused.stderr)")
    }
}
