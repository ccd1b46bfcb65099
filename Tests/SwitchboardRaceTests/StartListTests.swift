import Testing

@testable import SwitchboardRace

/// Issue 6, item 4: the start list joins on the bib in both encodings; a bad CSV names its line.
@Suite struct StartListTests {
    static let snapshot = Snapshot(rows: [
        ResultRow(rank: 1, bib: "201", name: "GROß Jürgen", club: nil, raceClass: "M40", time: "4:28:07.1", gap: "0:00:00.0"),
        ResultRow(rank: 2, bib: "999", name: "ÖZTÜRK Ayşe", club: "LG Ulm", raceClass: nil, time: "4:30:00.0", gap: "0:01:52.9"),
    ])

    @Test func utf8WithSemicolonsJoinsEveryColumnOnTheBib() throws {
        let csv = "\u{FEFF}Startnummer;Name;Verein;Nation;Kategorie\r\n201;GROß Jürgen;\"TSV; Blaubeuren\";GER;M40\r\n\r\n202;RÄTZ Sigishelm;Rammingen;AUT;M45\r\n"
        let list = try StartList(csv: Array(csv.utf8))
        #expect(list.encoding == "UTF-8")
        #expect(list.delimiter == ";")
        #expect(list.keys == ["Name", "Verein", "Nation", "Kategorie"])
        let joined = list.join(Self.snapshot)
        #expect(
            joined.json
                == #"{"rows":[{"rank":1,"bib":"201","name":"GROß Jürgen","club":null,"class":"M40","time":"4:28:07.1","gap":"0:00:00.0","Name":"GROß Jürgen","Verein":"TSV; Blaubeuren","Nation":"GER","Kategorie":"M40"},"#
                + #"{"rank":2,"bib":"999","name":"ÖZTÜRK Ayşe","club":"LG Ulm","class":null,"time":"4:30:00.0","gap":"0:01:52.9","Name":null,"Verein":null,"Nation":null,"Kategorie":null}]}"#
        )
    }

    @Test func windows1252WithCommasAndAMappingFillsWhatTheStreamLeftNull() throws {
        // "GROß Jürgen" and "Wörth" in Windows-1252, with a trailing delimiter on every line.
        var csv: [UInt8] = Array("StNr,Nachname,Verein,Land,\n".utf8)
        csv += Array("201,GRO".utf8) + [0xDF] + Array(" J".utf8) + [0xFC] + Array("rgen,SC W".utf8) + [0xF6] + Array("rth,GER,\n".utf8)
        let list = try StartList(csv: csv, mapping: .init(bibColumn: "stnr", columns: [("nation", "Land"), ("club", "Verein")]))
        #expect(list.encoding == "Windows-1252")
        #expect(list.delimiter == ",")
        let row = list.join(Self.snapshot).rows[0]
        #expect(row.club == "SC Wörth", "the stream's null club is filled from the start list")
        #expect(row.columns == [.init(key: "nation", value: "GER")])
        let other = list.join(Self.snapshot).rows[1]
        #expect(other.club == "LG Ulm", "a club the stream sent stays")
        #expect(TextDecoding.decode([0x80, 0x9E]).text == "€ž")
    }

    @Test func aBadCSVGetsAnErrorNamingTheLine() {
        func error(_ text: String, mapping: StartList.Mapping = .init()) -> String? {
            do {
                _ = try StartList(csv: Array(text.utf8), mapping: mapping)
                return nil
            } catch {
                return error.description
            }
        }
        #expect(error("Startnummer;Name\n201;A\n202;B;extra\n") == "line 3: 3 fields, but the header has 2 (delimiter ';')")
        #expect(error("Startnummer;Name\n201;\"A\n202;B\n") == "line 2: a quoted field is never closed")
        #expect(error("Nummer;Name\n201;A\n") == "line 1: no bib column: the header has Nummer, Name, looked for Startnummer, Startnr, Start-Nr, StNr, Bib, Nr")
        #expect(error("Startnummer;Name\n201;A\n\n201;B\n") == "line 4: bib 201 is already on line 2")
        #expect(error("Startnummer;Name\n;A\n") == "line 2: no bib in column 'Startnummer'")
        #expect(error("Startnummer;Name\n201;A\n", mapping: .init(columns: [("nation", "Nation")])) == "line 1: no column 'Nation' (for 'nation'); the header has Startnummer, Name")
        #expect(error("") == "line 1: the start list is empty: no header row")
    }
}
