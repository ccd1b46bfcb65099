import Foundation
import SwitchboardCore
import Testing

/// Required test 3: acknowledged messages survive `kill -9`; the next seq follows the highest.
/// Runs the real `switchboard` binary, as a user would.
@Suite struct DurabilityTests {
    @Test func acknowledgedMessagesSurviveKill9() async throws {
        let directory = TestFiles.temporaryDirectory()
        var hub = try HubProcess.start(dataDirectory: directory)
        let publisher = try await TestWebSocket.connect(port: hub.httpPort, path: "/ws")
        let count = 2000
        for index in 1...count {
            try await publisher.send(json: ["op": "pub", "id": index, "topic": "crash/t", "data": ["i": index]])
        }
        var highestAcked = 0
        for _ in 1...count {
            let answer = try await publisher.nextJSON()
            #expect(answer["op"] as? String == "ok")
            highestAcked = max(highestAcked, answer["seq"] as! Int)
        }
        hub.kill9()  // right after the last ack, no graceful shutdown

        hub = try HubProcess.start(dataDirectory: directory)
        defer { hub.terminate() }
        var seqs: [Int] = []
        var after = 0
        while true {
            let page = try await TestHTTP.get("http://127.0.0.1:\(hub.httpPort)/api/v1/topics/crash/t/messages?after=\(after)&limit=1000")
            let messages = page.json["messages"] as! [[String: Any]]
            seqs += messages.map { $0["seq"] as! Int }
            guard let next = page.json["next_after"] as? Int else { break }
            after = next
        }
        #expect(highestAcked == count)
        #expect(seqs == Array(1...count), "every acknowledged message is in the history")
        let next = try await TestHTTP.post("http://127.0.0.1:\(hub.httpPort)/api/v1/publish/crash/t", "0")
        #expect(next.json["seq"] as? Int == count + 1, "the next seq follows the highest")
    }

    @Test func sigtermClosesConnectionsWith1001AndExitsCleanly() async throws {
        let directory = TestFiles.temporaryDirectory()
        let hub = try HubProcess.start(dataDirectory: directory)
        let subscriber = try await TestWebSocket.connect(port: hub.httpPort, path: "/ws/sub/term/t")
        let published = try await TestHTTP.post("http://127.0.0.1:\(hub.httpPort)/api/v1/publish/term/t", "1")
        #expect(published.json["seq"] as? Int == 1)
        _ = try await subscriber.next()
        kill(hub.process.processIdentifier, SIGTERM)
        var code: UInt16?
        while code == nil, let frame = try? await subscriber.next() {
            if case .close(let closeCode, _) = frame { code = closeCode }
        }
        #expect(code == 1001, "connections are closed with 1001 (going away)")
        hub.process.waitUntilExit()
        #expect(hub.process.terminationStatus == 0)

        let restarted = try HubProcess.start(dataDirectory: directory)
        defer { restarted.terminate() }
        let next = try await TestHTTP.post("http://127.0.0.1:\(restarted.httpPort)/api/v1/publish/term/t", "2")
        #expect(next.json["seq"] as? Int == 2)
    }
}
