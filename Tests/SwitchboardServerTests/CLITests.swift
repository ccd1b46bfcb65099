import Foundation
import SwitchboardCore
import Testing

/// The CLI a user types, against a real hub process.
@Suite struct CLITests {
    struct Output {
        let status: Int32
        let stdout: String
        let stderr: String
    }

    /// Runs the binary to its end; a run that outlives `timeout` is killed (and fails the status check).
    static func run(_ arguments: [String], stdin: String? = nil, timeout: TimeInterval = 60) throws -> Output {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: HubProcess.binary)
        process.arguments = arguments
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        let input = Pipe()
        process.standardInput = stdin == nil ? FileHandle.nullDevice : input
        try process.run()
        let pid = process.processIdentifier
        DispatchQueue.global().asyncAfter(deadline: .now() + timeout) {
            if process.isRunning { kill(pid, SIGKILL) }
        }
        if let stdin {
            input.fileHandleForWriting.write(Data(stdin.utf8))
            try input.fileHandleForWriting.close()
        }
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Output(status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self), stderr: String(decoding: stderr, as: UTF8.self))
    }

    @Test func pubSubAndExport() async throws {
        let hub = try HubProcess.start(dataDirectory: TestFiles.temporaryDirectory())
        defer { hub.terminate() }
        let url = "http://127.0.0.1:\(hub.httpPort)"

        let single = try Self.run(["pub", "cli/t", #"{"v":1}"#, "--url", url])
        #expect(single.status == 0)
        #expect(single.stdout.contains(#"{"seq":1}"#))
        let batch = try Self.run(["pub", "cli/t", "--url", url], stdin: "{\"v\":2}\n{\"v\":3}\n")
        #expect(batch.stdout.contains(#"{"seqs":[2,3]}"#))
        let bad = try Self.run(["pub", "cli/t", "{nope", "--url", url])
        #expect(bad.status != 0)
        #expect(bad.stdout.contains("bad_json"))

        let sub = try Self.run(["sub", "cli/#", "--last", "3", "--count", "3", "--url", "ws://127.0.0.1:\(hub.httpPort)"])
        let lines = sub.stdout.split(separator: "\n")
        #expect(lines.count == 3)
        #expect(lines.first?.contains(#""seq":1"#) == true)
        #expect(lines.last?.contains(#""data":{"v":3}"#) == true)

        let since = try Self.run(["sub", "cli/t", "--since", "2", "--count", "1", "--data-only", "--url", "ws://127.0.0.1:\(hub.httpPort)"])
        #expect(since.stdout == "{\"v\":3}\n")

        let csv = try Self.run(["export", "cli/t", "--format", "csv", "--url", url])
        let rows = csv.stdout.split(separator: "\r\n")
        #expect(rows.first == "topic,seq,ts,from,data")
        #expect(rows.count == 4)
        let ndjson = try Self.run(["export", "cli/t", "--format", "ndjson", "--url", url])
        #expect(ndjson.stdout.split(separator: "\n").count == 3)
    }

    @Test func serveExitsWithAClearErrorWhenItsPortIsTaken() throws {
        let first = try HubProcess.start(dataDirectory: TestFiles.temporaryDirectory())
        defer { first.terminate() }
        let output = try Self.run(
            ["serve", "--http", "127.0.0.1:\(first.httpPort)", "--tcp", "127.0.0.1:0", "--mqtt", "127.0.0.1:0", "--data", TestFiles.temporaryDirectory()],
            timeout: 30)
        #expect(output.status != 0 && output.status != SIGKILL, "exits by itself, with a failure status")
        #expect(output.stderr.contains("in use"), "says why: \(output.stderr)")
    }

    @Test func serveRefusesBadConfigurationWithAClearMessage() throws {
        let output = try Self.run(["serve", "--http", "nowhere", "--data", TestFiles.temporaryDirectory()])
        #expect(output.status != 0)
        #expect(output.stderr.contains("--http"))
        #expect(output.stderr.contains("HOST:PORT"))
    }
}
