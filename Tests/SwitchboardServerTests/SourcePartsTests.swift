import Foundation
import Logging
import NIOCore
import SwitchboardCore
import Testing

@testable import SwitchboardControl

/// The pieces of sources that need no sockets: params, lines, back-off.
@Suite struct SourcePartsTests {
    @Test func backoffDoublesToItsMaximumAndResetsAfterALongRun() {
        var backoff = Backoff(initial: .milliseconds(500), maximum: .seconds(30), resetAfter: .seconds(60))
        let delays = (0..<8).map { _ in backoff.next(afterRunning: .seconds(1)) }
        #expect(delays == [.milliseconds(500), .seconds(1), .seconds(2), .seconds(4), .seconds(8), .seconds(16), .seconds(30), .seconds(30)])
        #expect(backoff.next(afterRunning: .seconds(61)) == .milliseconds(500), "a minute up resets it")
    }

    @Test func linesAreDataTopicAndDataOrBase64() throws {
        let plain = try SourceLine(#"{"v":1.50}"#, allowBase64: true)
        #expect(plain.topic == nil)
        #expect(String(buffer: plain.data) == #"{"v":1.50}"#)
        let routed = try SourceLine(#"{"topic":"a/b","data":[1,2]}"#, allowBase64: false)
        #expect(routed.topic?.name == "a/b")
        #expect(String(buffer: routed.data) == "[1,2]")
        let encoded = try SourceLine(Data(#"{"v":2}"#.utf8).base64EncodedString(), allowBase64: true)
        #expect(String(buffer: encoded.data) == #"{"v":2}"#)
        #expect(throws: HubError.self) { try SourceLine("hello", allowBase64: false) }
        #expect(throws: HubError.self) { try SourceLine(#"{"topic":"$sys/x","data":1}"#, allowBase64: false) }
    }

    @Test func paramsNameTheParamAndWhy() {
        func message(_ kind: String, _ params: String) -> String? {
            do throws(HubError) {
                _ = try SourceKinds.driver(kind: kind, params: try JSONParser.parse(params))
                return nil
            } catch {
                return error.message
            }
        }
        #expect(message("sensor", #"{"rate_hz":2,"unit":"°C"}"#) == nil)
        #expect(message("sensor", #"{"rate_hz":5000}"#) == "sensor param 'rate_hz' must be between 0.001 and 1000, not 5000")
        #expect(message("sensor", #"{"unit":5}"#) == "sensor param 'unit' must be a string, not a number")
        #expect(message("sine", #"{"fields":{"a":{"freq":1}}}"#)?.contains("unknown sine field 'a' param 'freq'") == true)
        #expect(message("exec", #"{"command":[]}"#)?.contains("'command' must be") == true)
        #expect(message("replay", #"{"from_topic":"a","file":"/tmp/x"}"#) == "replay takes 'from_topic' or 'file', not both")
        #expect(message("accel", "[1]") == "params must be an object, not an array")
    }

    /// libdispatch traps when a semaphore is freed holding less than its initial value; an exec
    /// source's reader whose lines were never all consumed (the source was stopped) used to.
    @Test func anExecReaderFreedWithLinesNeverConsumedDoesNotTrap() async throws {
        try await TestHub.with { hub in
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/bin/sh")
            process.arguments = ["-c", "echo a; echo b; echo c"]
            let stdout = Pipe()
            let stderr = Pipe()
            process.standardOutput = stdout
            process.standardError = stderr
            let running = RunningProcess(process)
            try running.run()
            let context = SourceContext(name: "reader", topic: Topic(trusted: "reader/t"), hub: hub.hub, logger: Logger(label: "reader"), report: { _ in })
            var output: ProcessOutput? = ProcessOutput(
                stdout: stdout.fileHandleForReading, stderr: stderr.fileHandleForReading, process: running, context: context)
            weak let freed = output
            var lines: [String] = []
            for await event in output!.events {
                if case .line(let line) = event { lines.append(line) }  // never `consumed()`: three credits stay taken
            }
            #expect(lines == ["a", "b", "c"])
            output!.cancel()
            output = nil
            let deadline = ContinuousClock.now + .seconds(10)
            while freed != nil && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(10)) }
            #expect(freed == nil, "the reader threads let go of it")
        }
    }
}
