import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Issue 6 through a real hub: the `race` source's TCP tap relays every byte unchanged while it
/// publishes the standings; file replay; the start list joined, watched, and refused when bad.
@Suite(.enabled(if: RaceFixtures.enabled, "needs javac/java (default-jdk-headless)"))
struct RaceSourceTests {
    /// The next published snapshots on `/ws/sub/<topic>?format=data`, as the exact text published.
    static func texts(_ socket: TestWebSocket, count: Int, timeout: Duration = .seconds(20)) async throws -> [String] {
        var texts: [String] = []
        while texts.count < count {
            guard case .text(let text) = try await socket.next(timeout: timeout) else { break }
            texts.append(text)
        }
        return texts
    }

    @Test func theTapPassesEveryByteUnchangedBothWaysWhilePublishingTheStandings() async throws {
        let fixtures = try RaceFixtures.load()
        let stream = fixtures.stream
        var rng = SystemRandomNumberGenerator()
        let reply = (0..<300_000).map { _ in UInt8.random(in: 0...255, using: &rng) }
        let sprecher = try LoopbackSocket.listen()
        let tapPort = try LoopbackSocket.freePort()
        try await TestHub.with { hub in
            let results = try await hub.webSocket("/ws/sub/race/results?format=data")
            let created = try await SourcesAPI.create(
                hub,
                #"{"name":"tap","kind":"race","params":{"mode":"tap","listen":"127.0.0.1:\#(tapPort)","target":"127.0.0.1:\#(sprecher.port)"}}"#
            )
            #expect(created.status == 201, "\(created.text)")
            #expect(created.json["topic"] as? String == "race/results")
            let descriptor = try await TestHTTP.get("\(hub.http)/api/v1/topics/race/results/descriptor")
            #expect(descriptor.json["kind"] as? String == "leaderboard")

            // The Sprecher-PC: takes everything until Winlaufen is done, then answers.
            async let received: [UInt8] = LoopbackSocket.onThread {
                let connection = accept(sprecher.fd, nil, nil)
                defer { close(connection); close(sprecher.fd) }
                let bytes = LoopbackSocket.readToEnd(connection)
                try LoopbackSocket.write(connection, reply[...])
                return bytes
            }
            // Winlaufen: the first stream, a pause for the hub to publish, then the rest.
            let winlaufen = try await LoopbackSocket.onThread { try LoopbackSocket.connect(port: tapPort, within: 10) }
            let half = stream.count / 2
            try await LoopbackSocket.onThread { try LoopbackSocket.write(winlaufen, stream[..<half]) }
            let early = try await Self.texts(results, count: 1)
            #expect(early == [fixtures.expected[0]], "published while the connection is open")
            let answer = try await LoopbackSocket.onThread {
                try LoopbackSocket.write(winlaufen, stream[half...])
                shutdown(winlaufen, Int32(SHUT_WR))
                defer { close(winlaufen) }
                return LoopbackSocket.readToEnd(winlaufen)
            }
            let late = try await Self.texts(results, count: fixtures.expected.count - 1)
            #expect(early + late == fixtures.expected, "every snapshot, each once, in order")
            let sent = try await received
            #expect(sent.count == stream.count && sent == stream, "the Sprecher-PC got Winlaufen's bytes unchanged")
            #expect(answer.count == reply.count && answer == reply, "Winlaufen got the Sprecher-PC's bytes unchanged")
            #expect(Self.checksum(sent) == Self.checksum(stream))
        }
    }

    /// FNV-1a, as a short fingerprint for the failure message.
    static func checksum(_ bytes: [UInt8]) -> UInt64 {
        bytes.reduce(0xCBF2_9CE4_8422_2325) { ($0 ^ UInt64($1)) &* 0x100_0000_01B3 }
    }

    @Test func aFileIsReplayedAndTheSourceStopsAtItsEnd() async throws {
        let fixtures = try RaceFixtures.load()
        let path = TestFiles.temporaryDirectory() + "/standings.bin"
        try Data(fixtures.stream).write(to: URL(fileURLWithPath: path))
        try await TestHub.with { hub in
            let watcher = try await SourceEventWatcher.connect(hub)
            let results = try await hub.webSocket("/ws/sub/results/file?format=data")
            let created = try await SourcesAPI.create(
                hub, #"{"name":"replay","kind":"race","topic":"results/file","params":{"mode":"file","file":"\#(path)","interval_ms":10}}"#)
            #expect(created.status == 201, "\(created.text)")
            #expect(try await Self.texts(results, count: fixtures.expected.count) == fixtures.expected)
            let events = try await watcher.waitFor("stopped", of: "replay")
            #expect(events.map(\.event) == ["created", "started", "stopped"])
        }
    }

    @Test func theStartListIsJoinedAndWatchedAndABadOneIsRefusedNamingTheLine() async throws {
        let directory = TestFiles.temporaryDirectory()
        let csv = directory + "/Startlist.csv"
        // Windows-1252, as Winlaufen exports it: "Sigishelm RÄTZ" and "Wörth".
        func startList(club: String) -> Data {
            var bytes = Array("Startnummer;Verein;Nation\n67;".utf8) + club.unicodeScalars.map { UInt8($0.value) } + Array(";GER\n".utf8)
            bytes += Array("70;SC W".utf8) + [0xF6] + Array("rth;AUT\n".utf8)
            return Data(bytes)
        }
        try startList(club: "LG Ulm").write(to: URL(fileURLWithPath: csv))
        let sprecher = try LoopbackSocket.listen()
        let tapPort = try LoopbackSocket.freePort()
        let dump = try String(contentsOfFile: RaceFixtures.seedHexDump, encoding: .utf8)
        let seedBytes = dump.split(separator: "\n").flatMap { line in
            line.split(separator: " ").dropFirst().prefix(16).prefix { $0.count == 2 }.compactMap { UInt8($0, radix: 16) }
        }
        try await TestHub.with { hub in
            let bad = directory + "/Bad.csv"
            try "Startnummer;Verein\n67;LG Ulm\n68;\"Rammingen\n".write(toFile: bad, atomically: true, encoding: .utf8)
            let refused = try await SourcesAPI.create(hub, #"{"name":"bad","kind":"race","params":{"mode":"tap","listen":"1","target":"127.0.0.1:1","startlist":"\#(bad)"}}"#)
            #expect(refused.status == 400)
            #expect(refused.text.contains("line 3: a quoted field is never closed"), "\(refused.text)")

            let results = try await hub.webSocket("/ws/sub/race/results?format=data")
            let created = try await SourcesAPI.create(
                hub,
                #"{"name":"joined","kind":"race","params":{"mode":"tap","listen":"127.0.0.1:\#(tapPort)","target":"127.0.0.1:\#(sprecher.port)","#
                    + #""startlist":"\#(csv)","startlist_columns":{"club":"Verein","nation":"Nation"},"startlist_watch":true,"startlist_poll_ms":100,"flush_ms":200}}"#
            )
            #expect(created.status == 201, "\(created.text)")
            async let sprecherSide: Void = LoopbackSocket.onThread {
                let connection = accept(sprecher.fd, nil, nil)
                _ = LoopbackSocket.readToEnd(connection)
                close(connection)
                close(sprecher.fd)
            }
            // The seed's bytes joined mid-stream; the connection stays open, so the rows are published once it goes quiet.
            let winlaufen = try await LoopbackSocket.onThread { try LoopbackSocket.connect(port: tapPort, within: 10) }
            try await LoopbackSocket.onThread { try LoopbackSocket.write(winlaufen, seedBytes[...]) }
            let first = try await Self.texts(results, count: 1)[0]
            #expect(first.hasPrefix(#"{"rows":[{"rank":1,"bib":"67","name":"LOGES Margit","club":"LG Ulm","class":null,"time":"4:30:15.9","gap":"0:00:00.0","nation":"GER"}"#), "\(first)")
            #expect(first.contains(#"{"rank":4,"bib":"70","name":"RÄTZ Sigishelm","club":"SC Wörth","class":null,"time":"4:39:36.4","gap":"0:09:20.5","nation":"AUT"}"#))
            #expect(first.contains(#"{"rank":6,"bib":"72","name":"FREITAG Hellmut","club":"Rammingen","class":null,"time":"4:56:48.5","gap":"0:26:32.6","nation":null}"#))

            try startList(club: "TSV Blaubeuren").write(to: URL(fileURLWithPath: csv))
            let second = try await Self.texts(results, count: 1)[0]
            #expect(second.contains(#""bib":"67","name":"LOGES Margit","club":"TSV Blaubeuren""#), "the changed start list is joined again: \(second)")
            shutdown(winlaufen, Int32(SHUT_RDWR))
            close(winlaufen)
            try await sprecherSide
        }
    }
}
