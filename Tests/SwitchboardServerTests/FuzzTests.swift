import Foundation
import NIOCore
import SwitchboardCore
import SwitchboardTestServices
import Testing

@testable import SwitchboardServer

/// Random input over real connections: every line or frame is answered (ack or error),
/// nothing crashes, and the connection still works afterwards. Seeded, so failures reproduce.
@Suite struct FuzzTests {
    static let fragments = [
        #"{"#, #"}"#, #"["#, #"]"#, #"""#, #":"#, #","#, #"\u00e4"#, #"\ud800"#, "topic", "data", "id", "key", "hello",
        "t/1", "+", "#", "$sys", "/", "null", "true", "1e999", "-0", "0x1", "é", "\u{0}", " ", "eyJ0b3BpYyI6InQvMSIsImRhdGEiOjF9",
    ]

    static func randomLine(_ rng: inout SeededRNG) -> [UInt8] {
        if Bool.random(using: &rng) {
            return (0..<Int.random(in: 1...80, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }.filter { $0 != 10 }
        }
        var text = ""
        for _ in 0..<Int.random(in: 1...12, using: &rng) { text += fragments.randomElement(using: &rng)! }
        return Array(text.utf8).filter { $0 != 10 }
    }

    @Test func randomTCPLinesAreEachAnsweredAndTheConnectionSurvives() async throws {
        try await TestHub.with { hub in
            var rng = SeededRNG(seed: 2026)
            let client = try await TestTCPClient(port: hub.tcpPort)
            var expectedAnswers = 0
            for _ in 0..<1500 {
                var line = Self.randomLine(&rng)
                while line.first == 0x20 || line.first == 0x09 { line.removeFirst() }
                if line.isEmpty { continue }
                // Every line that is not a publish without id gets exactly one answer line: send a marker after it.
                var buffer = ByteBuffer(bytes: line)
                buffer.writeString("\n{\"topic\":\"fuzz/marker\",\"data\":1,\"id\":\"m\"}\n")
                try await client.sendRaw(buffer)
                expectedAnswers += 1
                var answers: [String] = []
                while true {
                    let answer = try #require(try await client.nextLine(), "connection closed after \(line)")
                    if answer.contains(#""ok":"m""#) { break }
                    answers.append(answer)
                }
                #expect(answers.count <= 1, "at most one answer per line")
            }
            try await client.send(#"{"topic":"fuzz/t","data":{"ok":true},"id":1}"#)
            #expect(try await client.nextJSON()["seq"] as? Int == 1)
            #expect(expectedAnswers > 1000)
        }
    }

    @Test func randomWebSocketFramesGetErrorsNotCrashes() async throws {
        try await TestHub.with { hub in
            var rng = SeededRNG(seed: 7)
            let client = try await hub.webSocket("/ws")
            for _ in 0..<800 {
                let bytes = Self.randomLine(&rng)
                let text = String(decoding: bytes, as: UTF8.self)
                try await client.send(text)
                try await client.send(json: ["op": "call", "id": "marker", "method": "time"])
                var answers = 0
                while true {
                    let frame = try await client.nextJSON()
                    if frame["id"] as? String == "marker" { break }
                    answers += 1
                    #expect(frame["op"] as? String == "error" || frame["op"] as? String == "ok" || frame["op"] as? String == "result")
                }
                #expect(answers <= 1)
            }
            try await client.send(json: ["op": "pub", "id": 1, "topic": "fuzz/ws", "data": 1])
            #expect(try await client.nextJSON()["seq"] as? Int == 1)
        }
    }
}
