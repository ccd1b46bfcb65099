import Foundation
import NIOCore
import NIOPosix
import SwitchboardControl
import SwitchboardCore
import Testing

@testable import SwitchboardServer

/// Issue 4, the sources that reach outside the hub: `exec` (a program's lines), `tcp-client`
/// (a data server's lines) and `replay` (a stored topic or an NDJSON file).
@Suite struct SourceKindsTests {
    static func script(_ text: String) throws -> String {
        let path = TestFiles.temporaryDirectory() + "/source.sh"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test func execPublishesAScriptsLinesInOrder() async throws {
        let script = try Self.script(
            """
            for n in 1 2 3 4 5; do echo "{\\"n\\":$n}"; done
            echo 'not json'
            echo '{"topic":"exec/other","data":{"routed":true}}'
            echo "to the log" >&2
            echo "{\\"n\\":6,\\"pid\\":$$}"
            exec sleep 600
            """
        )
        try await TestHub.with(configure: { $0.control.allowExec = true }) { hub in
            let watcher = try await SourceEventWatcher.connect(hub)
            let reader = try await TopicReader.connect(hub, topic: "exec/lines")
            let other = try await TopicReader.connect(hub, topic: "exec/other")
            let created = try await SourcesAPI.create(
                hub,
                #"{"name":"lines","kind":"exec","topic":"exec/lines","params":{"command":["/bin/sh","\#(script)"]}}"#
            )
            #expect(created.status == 201, "\(created.text)")
            var numbers: [Int] = []
            var pid: Int32 = 0
            for _ in 0..<6 {
                let data = try await reader.nextData()
                numbers.append(data["n"] as? Int ?? -1)
                pid = (data["pid"] as? Int).map(Int32.init) ?? pid
            }
            #expect(numbers == [1, 2, 3, 4, 5, 6], "in order; the non-JSON line skipped")
            #expect(try await other.nextData()["routed"] as? Bool == true)
            let stopped = try await SourcesAPI.action(hub, "lines", "stop")
            #expect(stopped.json["state"] as? String == "stopped")
            #expect(pid > 0 && kill(pid, 0) != 0, "the program (pid \(pid)) is gone once the stop is answered")
            let events = try await watcher.waitFor("stopped", of: "lines")
            #expect(events.map(\.event) == ["created", "started", "stopped"], "a stopped program is not a failure")
            #expect(try await SourcesAPI.delete(hub, "lines").status == 200)
        }
    }

    @Test func aCrashingProgramIsRestartedWithBackoffAndItsFailuresAreVisible() async throws {
        let script = try Self.script("echo \"{\\\"alive\\\":true,\\\"at\\\":$(date +%s%3N)}\"\nexit 3\n")
        try await TestHub.with(configure: { $0.control.allowExec = true }) { hub in
            let first = try await SourceEventWatcher.connect(hub)
            let second = try await SourceEventWatcher.connect(hub)
            let reader = try await TopicReader.connect(hub, topic: "exec/crash")
            let created = try await SourcesAPI.create(
                hub,
                #"{"name":"crash","kind":"exec","topic":"exec/crash","params":{"command":"/bin/sh \#(script)","backoff_ms":100}}"#
            )
            #expect(created.status == 201, "\(created.text)")
            var seen: [SourceEvent] = []
            // created, started, then twice: failed (exit status 3), started again.
            while seen.count < 6 { seen.append(try await first.next()) }
            #expect(seen.map(\.event) == ["created", "started", "failed", "started", "failed", "started"])
            #expect(seen[2].state == "failed")
            #expect(seen[2].error == "exited with status 3")
            var other: [SourceEvent] = []
            while other.count < 6 { other.append(try await second.next()) }
            #expect(other == seen, "both watchers see the same events in the same order")
            var starts: [Int] = []
            for _ in 0..<3 {
                let data = try await reader.nextData()
                #expect(data["alive"] as? Bool == true)
                starts.append(data["at"] as? Int ?? 0)
            }
            // Back-off doubles from backoff_ms: the runs start at least 100, then 200 ms apart.
            #expect(starts[1] - starts[0] >= 100, "\(starts)")
            #expect(starts[2] - starts[1] >= 200, "\(starts)")
            let stopped = try await SourcesAPI.action(hub, "crash", "stop")
            #expect(stopped.json["state"] as? String == "stopped")
            #expect(stopped.json["error"] is NSNull)
        }
    }

    @Test func tcpClientIngestsJSONAndBase64LinesAndReportsARefusedConnection() async throws {
        let lines = [
            #"{"v":1}"#,
            Data(#"{"v":2}"#.utf8).base64EncodedString(),
            "garbage that is not base64!",
            #"{"topic":"tcpc/other","data":{"v":3}}"#,
            #"{"v":4}"#,
        ]
        let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(LineSender(lines: lines)) }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        defer { server.close(promise: nil) }
        let port = server.localAddress!.port!
        try await TestHub.with { hub in
            let watcher = try await SourceEventWatcher.connect(hub)
            let reader = try await TopicReader.connect(hub, topic: "tcpc/in")
            let other = try await TopicReader.connect(hub, topic: "tcpc/other")
            let created = try await SourcesAPI.create(
                hub,
                #"{"name":"feed","kind":"tcp-client","topic":"tcpc/in","params":{"port":\#(port)}}"#
            )
            #expect(created.status == 201, "\(created.text)")
            var values: [Int] = []
            for _ in 0..<3 { values.append(try await reader.nextData()["v"] as? Int ?? -1) }
            #expect(values == [1, 2, 4])
            let descriptor = try await TestHTTP.get("\(hub.http)/api/v1/topics/tcpc/in/descriptor")
            #expect(descriptor.json["title"] as? String == "feed")
            #expect(try await other.nextData()["v"] as? Int == 3)
            #expect(try await SourcesAPI.delete(hub, "feed").status == 200)

            // Nothing listens on a port just closed: failed, with the reason, while it retries.
            let closed = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton).bind(host: "127.0.0.1", port: 0).get()
            let deadPort = closed.localAddress!.port!
            try await closed.close()
            _ = try await SourcesAPI.create(
                hub,
                #"{"name":"nowhere","kind":"tcp-client","params":{"port":\#(deadPort),"backoff_ms":50}}"#
            )
            let events = try await watcher.waitFor("failed", of: "nowhere")
            #expect(events.last?.error?.contains("cannot connect to 127.0.0.1:\(deadPort)") == true, "\(events)")
            #expect(try await SourcesAPI.get(hub, "nowhere").json["state"] as? String == "failed")
            #expect(try await SourcesAPI.action(hub, "nowhere", "stop").json["state"] as? String == "stopped")
        }
    }

    @Test func replayOfAStoredTopicAndOfAnNDJSONFile() async throws {
        try await TestHub.with { hub in
            for index in 1...5 { _ = try await TestHTTP.post("\(hub.http)/api/v1/publish/rec/original", #"{"i":\#(index)}"#) }
            let watcher = try await SourceEventWatcher.connect(hub)
            let reader = try await TopicReader.connect(hub, topic: "rec/copy")
            let created = try await SourcesAPI.create(
                hub,
                #"{"name":"again","kind":"replay","topic":"rec/copy","params":{"from_topic":"rec/original","speed":100}}"#
            )
            #expect(created.status == 201, "\(created.text)")
            var values: [Int] = []
            for _ in 0..<5 { values.append(try await reader.nextData()["i"] as? Int ?? -1) }
            #expect(values == [1, 2, 3, 4, 5])
            let events = try await watcher.waitFor("stopped", of: "again")
            #expect(events.map(\.event) == ["created", "started", "stopped"], "a finished replay stops by itself")
            #expect(try await SourcesAPI.get(hub, "again").json["state"] as? String == "stopped")

            let file = TestFiles.temporaryDirectory() + "/replay.ndjson"
            try """
            {"topic":"x","seq":1,"ts":1000,"data":{"f":1}}
            {"topic":"x","seq":2,"ts":1040,"data":{"f":2}}
            {"f":3}
            """.write(toFile: file, atomically: true, encoding: .utf8)
            let fromFile = try await TopicReader.connect(hub, topic: "rec/file")
            let fileSource = try await SourcesAPI.create(
                hub,
                #"{"name":"file","kind":"replay","topic":"rec/file","params":{"file":"\#(file)","interval_ms":20,"loop":true}}"#
            )
            #expect(fileSource.status == 201, "\(fileSource.text)")
            var fields: [Int] = []
            for _ in 0..<6 { fields.append(try await fromFile.nextData()["f"] as? Int ?? -1) }
            #expect(fields == [1, 2, 3, 1, 2, 3], "looped")
            #expect(try await SourcesAPI.delete(hub, "file").json["state"] as? String == "stopped")
        }
    }

    @Test func configurationFileDeclaresSourcesExecAndDemo() throws {
        let file = TestFiles.temporaryDirectory() + "/switchboard.yaml"
        try """
        allow_exec: true
        demo: true
        sources:
          - name: lab-temp
            kind: sensor
            topic: lab/temp
            params: { rate_hz: 2, unit: "°C", min: 15.5, max: 30 }
          - name: ticks
            kind: clock
            state: stopped
        """.write(toFile: file, atomically: true, encoding: .utf8)
        let configuration = try SwitchboardConfiguration.load(file: file, environment: [:], flags: [:])
        #expect(configuration.control.allowExec)
        #expect(configuration.control.demo)
        #expect(configuration.control.sources.map(\.name) == ["lab-temp", "ticks"])
        #expect(configuration.control.sources.map(\.running) == [true, false])
        #expect(configuration.control.sources[0].params["unit"] == .string("°C"))
        #expect(configuration.control.sources[0].params["min"]?.doubleValue == 15.5)

        try "sources:\n  - name: x\n    kind: clock\n    colour: red\n".write(toFile: file, atomically: true, encoding: .utf8)
        #expect(throws: ConfigurationError.self) { try SwitchboardConfiguration.load(file: file, environment: [:], flags: [:]) }
    }

    @Test func configuredSourcesAreCreatedAtStartIfMissing() async throws {
        try await TestHub.with(configure: { configuration in
            configuration.control.sources = [
                SourceDefinition(name: "cfg", kind: "sensor", topic: "cfg/t", params: .object([("rate_hz", .int(5))]), running: true)
            ]
        }) { hub in
            let source = try await SourcesAPI.get(hub, "cfg")
            #expect(source.json["state"] as? String == "running")
            #expect(source.json["topic"] as? String == "cfg/t")
        }
    }
}

/// A tiny data server: sends its lines to each client that connects, then keeps the connection open.
final class LineSender: ChannelInboundHandler, Sendable {
    typealias InboundIn = ByteBuffer
    let lines: [String]

    init(lines: [String]) { self.lines = lines }

    func channelActive(context: ChannelHandlerContext) {
        context.writeAndFlush(NIOAny(ByteBuffer(string: self.lines.joined(separator: "\n") + "\n")), promise: nil)
    }
}
