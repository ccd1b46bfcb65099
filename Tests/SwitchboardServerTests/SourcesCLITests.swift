import Foundation
import Testing

/// `switchboard sources …` and `serve --demo` against the real binary.
@Suite struct SourcesCLITests {
    @Test func createListStopStartDeleteFromTheCommandLine() async throws {
        let hub = try HubProcess.start(dataDirectory: TestFiles.temporaryDirectory(), arguments: ["--demo"])
        defer { hub.terminate() }
        let url = "http://127.0.0.1:\(hub.httpPort)"

        let created = try CLITests.run(
            ["sources", "create", "cli-temp", "sensor", "--topic", "cli/temp", "--param", "rate_hz=5", "--param", "unit=°C", "--url", url])
        #expect(created.status == 0, "\(created.stdout) \(created.stderr)")
        #expect(created.stdout.contains(#""state":"running""#))
        #expect(created.stdout.contains(#""unit":"°C""#))
        #expect(created.stdout.contains(#""rate_hz":5"#))

        let list = try CLITests.run(["sources", "list", "--url", url])
        let rows = list.stdout.split(separator: "\n")
        #expect(rows.first?.hasPrefix("NAME") == true)
        #expect(rows.contains { $0.hasPrefix("cli-temp") && $0.contains("sensor") && $0.contains("cli/temp") && $0.contains("running") })
        #expect(rows.contains { $0.hasPrefix("demo-temperature") && $0.contains("running") }, "--demo started the simulators")

        let stopped = try CLITests.run(["sources", "stop", "cli-temp", "--url", url])
        #expect(stopped.stdout.contains(#""state":"stopped""#))
        let started = try CLITests.run(["sources", "start", "cli-temp", "--url", url])
        #expect(started.stdout.contains(#""state":"running""#))
        let deleted = try CLITests.run(["sources", "delete", "cli-temp", "--url", url])
        #expect(deleted.status == 0)
        let missing = try CLITests.run(["sources", "get", "cli-temp", "--url", url])
        #expect(missing.status != 0)
        #expect(missing.stdout.contains("not_found"))
        let badKind = try CLITests.run(["sources", "create", "x", "teleporter", "--url", url])
        #expect(badKind.status != 0)
        #expect(badKind.stdout.contains("unknown source kind"))
    }
}

/// The real binary killed with `kill -9`: sources come back in their desired state and seqs run on.
@Suite struct SourcesKillTests {
    @Test func sourcesSurviveKill9InTheirDesiredState() async throws {
        let directory = TestFiles.temporaryDirectory()
        let first = try HubProcess.start(dataDirectory: directory)
        var url = "http://127.0.0.1:\(first.httpPort)"
        let created = try await TestHTTP.post("\(url)/api/v1/sources", #"{"name":"k9","kind":"sensor","topic":"k9/t","params":{"rate_hz":20}}"#)
        #expect(created.status == 201)
        let held = try await TestHTTP.post("\(url)/api/v1/sources", #"{"name":"held","kind":"sine","state":"stopped"}"#)
        #expect(held.status == 201)
        try await Self.waitForMessages(url: url, topic: "k9/t", atLeast: 3)
        first.kill9()

        let second = try HubProcess.start(dataDirectory: directory)
        defer { second.terminate() }
        url = "http://127.0.0.1:\(second.httpPort)"
        let before = try await Self.lastSeq(url: url, topic: "k9/t")
        #expect(try await TestHTTP.get("\(url)/api/v1/sources/k9").json["state"] as? String == "running")
        #expect(try await TestHTTP.get("\(url)/api/v1/sources/held").json["state"] as? String == "stopped")
        try await Self.waitForMessages(url: url, topic: "k9/t", atLeast: before + 3)
        let history = try await TestHTTP.get("\(url)/api/v1/topics/k9/t/messages?limit=10000")
        let seqs = (history.json["messages"] as? [[String: Any]] ?? []).compactMap { $0["seq"] as? Int }
        #expect(seqs == Array(1...(seqs.last ?? 0)), "one run of seqs across the crash: nothing reused or skipped")
    }

    static func lastSeq(url: String, topic: String) async throws -> Int {
        let topics = try await TestHTTP.get("\(url)/api/v1/topics").json["topics"] as? [[String: Any]] ?? []
        return topics.first { $0["topic"] as? String == topic }?["last_seq"] as? Int ?? 0
    }

    /// Polls the topic list until the topic has `atLeast` messages (at most 15 s).
    static func waitForMessages(url: String, topic: String, atLeast count: Int) async throws {
        let deadline = ContinuousClock.now + .seconds(15)
        while try await Self.lastSeq(url: url, topic: topic) < count {
            guard ContinuousClock.now < deadline else { throw TestWebSocket.TimedOut(description: "\(topic) did not reach seq \(count)") }
            try await Task.sleep(for: .milliseconds(50))
        }
    }
}
