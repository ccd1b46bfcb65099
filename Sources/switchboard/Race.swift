import ArgumentParser
import Foundation
import SwitchboardRace

/// `switchboard race …`: race timing (seed 001) — decode Winlaufen's results stream.
struct Race: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Race timing: decode Winlaufen's results stream (Java serialization) from a capture or a raw stream.",
        discussion: "Live decoding (capture, TCP tap) runs in the hub as a source of kind race; see the README.",
        subcommands: [Decode.self]
    )

    /// `switchboard race decode <file>`: every standings snapshot in a capture (pcap, pcapng), a hex
    /// dump or a raw stream, as NDJSON on stdout; what could not be resolved is summed up on stderr.
    struct Decode: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the standings snapshots in a capture (pcap/pcapng), hex dump or raw stream as NDJSON.",
            discussion: """
                Example: switchboard race decode winlaufen.pcapng --port 4711
                Each line is {"rows":[{"rank":1,"bib":"201","name":…,"club":…,"class":…,"time":…,"gap":…}]};
                a field sent before the capture began (a back-reference the decoder cannot resolve) is null.
                """
        )

        @Argument(help: "A pcap or pcapng capture, a hex dump, or the raw stream.")
        var file: String
        @Option(help: "Only the TCP connection with this port at either end (captures).")
        var port: UInt16?
        @Option(help: "A Startlist.csv to join on the bib (every column, under its header name).")
        var startlist: String?
        @Option(help: "The start list's bib column (default: Startnummer, StNr, Bib, …).")
        var bibColumn: String?

        func run() async throws {
            let bytes: [UInt8]
            do {
                bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: self.file)))
            } catch {
                throw ValidationError("cannot read \(self.file): \(error.localizedDescription)")
            }
            var startList: StartList?
            if let path = self.startlist {
                do {
                    let csv = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
                    startList = try StartList(csv: csv, mapping: .init(bibColumn: self.bibColumn))
                } catch let error as StartList.Error {
                    throw ValidationError("\(path) \(error)")
                } catch {
                    throw ValidationError("cannot read \(path): \(error.localizedDescription)")
                }
            }
            let decoded = try RaceInput.snapshots(in: bytes, port: self.port)
            var output = ""
            for snapshot in decoded.snapshots {
                output += (startList?.join(snapshot) ?? snapshot).json + "\n"
            }
            FileHandle.standardOutput.write(Data(output.utf8))
            let statistics = decoded.statistics
            let rows = decoded.snapshots.reduce(0) { $0 + $1.rows.count }
            var summary = "\(decoded.snapshots.count) snapshots, \(rows) rows (\(RaceInput.format(of: bytes).rawValue))"
            if statistics.unresolvedReferences > 0 {
                summary += "; \(statistics.unresolvedReferences) references to what was sent before the stream was joined are null"
            }
            if statistics.corruptElements > 0 { summary += "; \(statistics.corruptElements) elements unreadable (cut or corrupt)" }
            FileHandle.standardError.write(Data((summary + "\n").utf8))
        }
    }
}
