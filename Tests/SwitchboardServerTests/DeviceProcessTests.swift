import Foundation
import Testing

/// Devices and commands against the real `switchboard` binary: restarts, the
/// Python examples in `examples/`, and the `devices` / `cmd` CLI.
@Suite struct DeviceProcessTests {
    static let examples = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("examples")

    /// Polls `check` until it returns a value or `timeout` passes.
    /// Generous: under `scripts/test` every suite runs at once on two cores, and a Python device takes a while to start.
    static func eventually<T>(timeout: Duration = .seconds(60), _ check: () async throws -> T?) async throws -> T {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if let value = try await check() { return value }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw TestWebSocket.TimedOut(description: "condition not met within \(timeout)")
    }

    static func device(_ http: String, _ id: String) async throws -> [String: Any]? {
        let answer = try await TestHTTP.get("\(http)/api/v1/devices/\(id)")
        return answer.status == 200 ? answer.json : nil
    }

    static func hello(port: Int, id: String) async throws -> TestWebSocket {
        let device = try await TestWebSocket.connect(port: port, path: "/ws")
        try await device.send(json: ["op": "hello", "id": 1, "device": id])
        _ = try await device.nextJSON(where: { $0["op"] as? String == "ok" })
        return device
    }

    @Test func commandsSurviveARestart() async throws {
        let data = TestFiles.temporaryDirectory()
        let first = try HubProcess.start(dataDirectory: data)
        var http = "http://127.0.0.1:\(first.httpPort)"
        let device = try await Self.hello(port: first.httpPort, id: "keeper")
        let sent = try await TestHTTP.post("\(http)/api/v1/devices/keeper/commands?async=true", #"{"name":"first","timeout_ms":60000}"#)
        #expect(sent.json.string("state") == "sent")
        _ = try await device.nextJSON(where: { $0["op"] as? String == "cmd" })
        await device.close()
        _ = try await Self.eventually { try await Self.device(http, "keeper").flatMap { $0["online"] as? Bool == false ? true : nil } }
        let queued = try await TestHTTP.post("\(http)/api/v1/devices/keeper/commands?async=true", #"{"name":"second","ttl_ms":120000}"#)
        #expect(queued.status == 202)
        first.kill9()

        let second = try HubProcess.start(dataDirectory: data)
        defer { second.terminate() }
        http = "http://127.0.0.1:\(second.httpPort)"
        let known = try #require(try await Self.device(http, "keeper"))
        #expect(known["online"] as? Bool == false)
        // A sent command whose answer can no longer come is timed_out; the queued one still waits.
        let interrupted = try await TestHTTP.get("\(http)/api/v1/commands/\(sent.json.string("id")!)")
        #expect(interrupted.json.string("state") == "timed_out")
        let waiting = try await TestHTTP.get("\(http)/api/v1/commands/\(queued.json.string("id")!)")
        #expect(waiting.json.string("state") == "queued")

        let back = try await Self.hello(port: second.httpPort, id: "keeper")
        let cmd = try await back.nextJSON(where: { $0["op"] as? String == "cmd" })
        #expect(cmd.string("name") == "second")
        try await back.send(json: ["op": "cmd_result", "id": cmd["id"]!, "result": "ok"])
        let done = try await Self.eventually {
            let command = try await TestHTTP.get("\(http)/api/v1/commands/\(queued.json.string("id")!)").json
            return command.string("state") == "succeeded" ? command : nil
        }
        #expect(done["result"] as? String == "ok")
        await back.close()
    }

    /// Starts an example device as a subprocess that stops by itself after `duration` seconds.
    static func runExample(_ script: String, _ arguments: [String]) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", Self.examples.appendingPathComponent(script).path] + arguments + ["--duration", "60"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        return process
    }

    @Test(arguments: ["device_ws.py", "device_tcp_base64.py"])
    func exampleDeviceObeysCommandsAndPublishes(script: String) async throws {
        let hub = try HubProcess.start(dataDirectory: TestFiles.temporaryDirectory())
        defer { hub.terminate() }
        let http = "http://127.0.0.1:\(hub.httpPort)"
        let id = script == "device_ws.py" ? "py-ws" : "py-tcp"
        let readings = try await TestWebSocket.connect(port: hub.httpPort, path: "/ws/sub/lab/\(id)")
        let arguments =
            script == "device_ws.py"
            ? ["--url", "ws://127.0.0.1:\(hub.httpPort)/ws", "--device", id, "--interval", "0.1"]
            : ["--host", "127.0.0.1", "--port", String(hub.tcpPort), "--device", id, "--interval", "0.1"]
        let example = try Self.runExample(script, arguments)
        defer { example.terminate() }

        let online = try await Self.eventually { try await Self.device(http, id).flatMap { $0["online"] as? Bool == true ? $0 : nil } }
        #expect((online[object: "info"]["commands"] as? [String]) == ["toggle_relay", "set_interval"])

        let toggled = try await TestHTTP.post("\(http)/api/v1/devices/\(id)/commands", #"{"name":"toggle_relay","timeout_ms":5000}"#)
        #expect(toggled.status == 200)
        #expect(toggled.json.string("state") == "succeeded")
        #expect(toggled.json[object: "result"]["relay"] as? Bool == true)
        let refused = try await TestHTTP.post("\(http)/api/v1/devices/\(id)/commands", #"{"name":"set_interval","params":{"seconds":"fast"}}"#)
        #expect(refused.json.string("state") == "failed")
        #expect(refused.json[object: "error"].string("code") == "bad_params")

        // Its readings arrive, and after the toggle they show the relay on.
        let reading = try await readings.nextJSON(where: { ($0["data"] as? [String: Any])?["relay"] as? Bool == true })
        #expect(reading.string("from") == id)
        #expect((reading[object: "data"]["t"] as? NSNumber) != nil)
        await readings.close()
    }

    @Test func devicesAndCmdFromTheCLI() async throws {
        let hub = try HubProcess.start(dataDirectory: TestFiles.temporaryDirectory())
        defer { hub.terminate() }
        let http = "http://127.0.0.1:\(hub.httpPort)"
        let example = try Self.runExample("device_tcp_base64.py", ["--port", String(hub.tcpPort), "--device", "cli-dev", "--interval", "1"])
        defer { example.terminate() }
        _ = try await Self.eventually { try await Self.device(http, "cli-dev").flatMap { $0["online"] as? Bool == true ? true : nil } }

        let table = try CLITests.run(["devices", "--url", http])
        #expect(table.status == 0)
        #expect(table.stdout.contains("cli-dev"))
        #expect(table.stdout.contains("online"))
        #expect(table.stdout.contains("toggle_relay,set_interval"))
        let json = try CLITests.run(["devices", "--json", "--url", http])
        #expect((TestDevices.json(json.stdout)["devices"] as? [[String: Any]])?.first?["id"] as? String == "cli-dev")

        let toggled = try CLITests.run(["cmd", "cli-dev", "toggle_relay", "--url", http])
        #expect(toggled.status == 0)
        #expect(TestDevices.json(toggled.stdout).string("state") == "succeeded")
        let interval = try CLITests.run(["cmd", "cli-dev", "set_interval", #"{"seconds":0.5}"#, "--timeout-ms", "5000", "--url", http])
        #expect(TestDevices.json(interval.stdout)[object: "result"]["interval"] as? Double == 0.5)
        let queued = try CLITests.run(["cmd", "cli-dev", "toggle_relay", "--async", "--url", http])
        #expect(queued.status == 0)
        let unknown = try CLITests.run(["cmd", "ghost", "toggle_relay", "--url", http])
        #expect(unknown.status != 0)
        #expect(unknown.stdout.contains("not_found"))
        let badParams = try CLITests.run(["cmd", "cli-dev", "toggle_relay", "[1]", "--url", http])
        #expect(badParams.status != 0)
    }
}
