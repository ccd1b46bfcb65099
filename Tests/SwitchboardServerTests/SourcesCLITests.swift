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
