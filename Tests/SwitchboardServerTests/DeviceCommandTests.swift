import Foundation
import NIOCore
import Testing

/// Devices and two-way commands over real sockets: WebSocket and base64 TCP
/// devices, every command state, `$sys/devices` and `$sys/commands`, REST and `/ws` `call`.
@Suite struct DeviceCommandTests {
    static var relayInfo: [String: Any] { ["model": "relay-1", "firmware": "1.2.0", "commands": ["toggle_relay", "set_interval"]] }

    @Test func webSocketDeviceRoundTripWithSystemEvents() async throws {
        try await TestHub.with { hub in
            let watcher = try await TestDevices.watchSystem(hub)
            let device = try await TestDevices.webSocketDevice(hub, id: "ws-1", info: Self.relayInfo)

            let online = try await watcher.nextEvent("$sys/devices")
            #expect(online.string("event") == "online")
            #expect(online[object: "device"].string("id") == "ws-1")
            #expect(online[object: "device"].string("transport") == "websocket")
            #expect(online[object: "device"][object: "info"].string("firmware") == "1.2.0")

            let listed = try await TestHTTP.get("\(hub.http)/api/v1/devices")
            let devices = listed.json["devices"] as? [[String: Any]] ?? []
            #expect(devices.count == 1)
            #expect(devices.first?["online"] as? Bool == true)
            #expect(devices.first?["connected_since"] is NSNumber)

            async let response = TestHTTP.post("\(hub.http)/api/v1/devices/ws-1/commands", #"{"name":"toggle_relay","params":{"on":true}}"#)
            let cmd = try await device.nextJSON(where: { $0["op"] as? String == "cmd" })
            #expect(cmd.string("name") == "toggle_relay")
            #expect(cmd[object: "params"]["on"] as? Bool == true)
            let commandID = try #require(cmd.string("id"))
            try await device.send(json: ["op": "cmd_result", "id": commandID, "result": ["relay": true]])

            let answer = try await response
            #expect(answer.status == 200)
            #expect(answer.json.string("state") == "succeeded")
            #expect(answer.json.string("id") == commandID)
            #expect(answer.json[object: "result"]["relay"] as? Bool == true)

            // Another client sees every state of the command, in order.
            let sent = try await watcher.nextEvent("$sys/commands")
            let succeeded = try await watcher.nextEvent("$sys/commands")
            #expect(sent.string("event") == "sent")
            #expect(sent[object: "command"].string("id") == commandID)
            #expect(succeeded.string("event") == "succeeded")
            #expect(succeeded[object: "command"][object: "result"]["relay"] as? Bool == true)

            let fetched = try await TestHTTP.get("\(hub.http)/api/v1/commands/\(commandID)")
            #expect(fetched.json.string("state") == "succeeded")
            let byDevice = try await TestHTTP.get("\(hub.http)/api/v1/commands?device=ws-1")
            #expect((byDevice.json["commands"] as? [[String: Any]])?.map { $0["id"] as? String } == [commandID])

            await device.close()
            let offline = try await watcher.nextEvent("$sys/devices")
            #expect(offline.string("event") == "offline")
            #expect(offline[object: "device"]["online"] as? Bool == false)
            await watcher.close()
        }
    }

    @Test func deviceThatVanishesWithoutACloseFrameGoesOffline() async throws {
        try await TestHub.with { hub in
            let watcher = try await TestDevices.watchSystem(hub)
            let device = try await TestDevices.webSocketDevice(hub, id: "ws-crash")
            _ = try await watcher.nextEvent("$sys/devices", where: { $0.string("event") == "online" })
            try await device.channel.close()  // a killed process: FIN, no close frame
            let offline = try await watcher.nextEvent("$sys/devices")
            #expect(offline.string("event") == "offline")
            #expect(offline[object: "device"].string("id") == "ws-crash")
        }
    }

    @Test func base64TCPDeviceRoundTrip() async throws {
        try await TestHub.with { hub in
            let device = try await TestTCPClient(port: hub.tcpPort)
            let hello = #"{"hello":"esp32-1","topic":"lab/esp32-1","info":{"model":"esp32","commands":["toggle_relay"]}}"#
            try await device.send(TestDevices.base64(hello))
            #expect(TestDevices.unbase64(try #require(try await device.nextLine()))["ok"] as? Bool == true)

            async let response = TestHTTP.post("\(hub.http)/api/v1/devices/esp32-1/commands", #"{"name":"toggle_relay"}"#)
            let line = try #require(try await device.nextLine())
            #expect(!line.hasPrefix("{"))  // the device speaks base64, so the hub does too
            let cmd = TestDevices.unbase64(line)[object: "cmd"]
            #expect(cmd.string("name") == "toggle_relay")
            let commandID = try #require(cmd.string("id"))
            try await device.send(TestDevices.base64(#"{"cmd_result":{"id":"\#(commandID)","result":{"relay":true}}}"#))

            let answer = try await response
            #expect(answer.status == 200)
            #expect(answer.json.string("state") == "succeeded")
            #expect(answer.json[object: "result"]["relay"] as? Bool == true)

            let device1 = try await TestHTTP.get("\(hub.http)/api/v1/devices/esp32-1")
            #expect(device1.json.string("transport") == "tcp")
            #expect(device1.json[object: "info"].string("model") == "esp32")
            // Readings still publish on the default topic after all this.
            try await device.send(TestDevices.base64(#"{"t":21.5,"id":1}"#))
            #expect(TestDevices.unbase64(try #require(try await device.nextLine()))["seq"] as? Int == 1)
            await device.close()
        }
    }

    @Test func deviceAnswersWithAnError() async throws {
        try await TestHub.with { hub in
            let device = try await TestDevices.webSocketDevice(hub, id: "ws-err")
            async let response = TestHTTP.post("\(hub.http)/api/v1/devices/ws-err/commands", #"{"name":"set_interval","params":{"seconds":-1}}"#)
            let cmd = try await device.nextJSON(where: { $0["op"] as? String == "cmd" })
            try await device.send(json: ["op": "cmd_result", "id": cmd["id"]!, "error": ["code": "bad_params", "message": "seconds must be > 0"]])
            let answer = try await response
            #expect(answer.status == 200)
            #expect(answer.json.string("state") == "failed")
            #expect(answer.json[object: "error"].string("code") == "bad_params")
            #expect(answer.json[object: "error"].string("message") == "seconds must be > 0")
        }
    }

    @Test func deviceThatNeverAnswersTimesOut() async throws {
        try await TestHub.with { hub in
            let device = try await TestDevices.webSocketDevice(hub, id: "ws-mute")
            let answer = try await TestHTTP.post("\(hub.http)/api/v1/devices/ws-mute/commands", #"{"name":"toggle_relay","timeout_ms":300}"#)
            #expect(answer.status == 504)
            #expect(answer.json.string("state") == "timed_out")
            #expect(answer.json[object: "error"].string("code") == "timeout")
            // The late answer is refused clearly, and the connection stays usable.
            let cmd = try await device.nextJSON(where: { $0["op"] as? String == "cmd" })
            try await device.send(json: ["op": "cmd_result", "id": cmd["id"]!, "result": [:]])
            let late = try await device.nextJSON(where: { $0["op"] as? String == "error" })
            #expect(late[object: "error"].string("code") == "conflict")
            try await device.send(#"{"op":"pub","id":9,"topic":"lab/mute","data":1}"#)
            #expect(try await device.nextJSON()["seq"] as? Int == 1)
        }
    }

    @Test func queuedCommandIsDeliveredWhenTheDeviceConnects() async throws {
        try await TestHub.with { hub in
            let watcher = try await TestDevices.watchSystem(hub)
            let first = try await TestDevices.webSocketDevice(hub, id: "ws-late")
            await first.close()
            _ = try await watcher.nextEvent("$sys/devices", where: { $0.string("event") == "offline" })

            // Known but offline: without ttl_ms it is refused at once; with it, queued.
            let refused = try await TestHTTP.post("\(hub.http)/api/v1/devices/ws-late/commands", #"{"name":"toggle_relay"}"#)
            #expect(refused.status == 409)
            #expect(refused.errorCode == "device_offline")
            let queued = try await TestHTTP.post("\(hub.http)/api/v1/devices/ws-late/commands?async=true", #"{"name":"toggle_relay","ttl_ms":30000}"#)
            #expect(queued.status == 202)
            #expect(queued.json.string("state") == "queued")
            let commandID = try #require(queued.json.string("id"))

            let again = try await hub.webSocket("/ws?device=ws-late")
            let cmd = try await again.nextJSON(where: { $0["op"] as? String == "cmd" })
            #expect(cmd.string("id") == commandID)
            try await again.send(json: ["op": "cmd_result", "id": commandID, "result": "done"])
            let states = try await [
                watcher.nextEvent("$sys/commands"), watcher.nextEvent("$sys/commands"), watcher.nextEvent("$sys/commands"),
            ].map { $0.string("event") }
            #expect(states == ["queued", "sent", "succeeded"])
            let fetched = try await TestHTTP.get("\(hub.http)/api/v1/commands/\(commandID)")
            #expect(fetched.json.string("state") == "succeeded")
            #expect(fetched.json["result"] as? String == "done")
        }
    }

    @Test func queuedCommandExpiresAndCanBeCancelled() async throws {
        try await TestHub.with { hub in
            let watcher = try await TestDevices.watchSystem(hub)
            let first = try await TestDevices.webSocketDevice(hub, id: "ws-away")
            await first.close()
            _ = try await watcher.nextEvent("$sys/devices", where: { $0.string("event") == "offline" })

            let queued = try await TestHTTP.post("\(hub.http)/api/v1/devices/ws-away/commands?async=true", #"{"name":"a","ttl_ms":200}"#)
            let expiring = try #require(queued.json.string("id"))
            let expired = try await watcher.nextEvent("$sys/commands", where: { $0.string("event") == "expired" })
            #expect(expired[object: "command"].string("id") == expiring)
            #expect(try await TestHTTP.get("\(hub.http)/api/v1/commands/\(expiring)").json.string("state") == "expired")

            // A synchronous request for a queued command waits for its fate: expiry is 504.
            let waited = try await TestHTTP.post("\(hub.http)/api/v1/devices/ws-away/commands", #"{"name":"b","ttl_ms":150}"#)
            #expect(waited.status == 504)
            #expect(waited.json.string("state") == "expired")

            let toCancel = try await TestHTTP.post("\(hub.http)/api/v1/devices/ws-away/commands?async=true", #"{"name":"c","ttl_ms":30000}"#)
            let cancelID = try #require(toCancel.json.string("id"))
            let cancelled = try await TestHTTP.post("\(hub.http)/api/v1/commands/\(cancelID)/cancel", "")
            #expect(cancelled.status == 200)
            #expect(cancelled.json.string("state") == "cancelled")
            let twice = try await TestHTTP.post("\(hub.http)/api/v1/commands/\(cancelID)/cancel", "")
            #expect(twice.status == 409)
            #expect(twice.errorCode == "conflict")
            // Reconnecting delivers nothing of it: the next command is the first the device sees.
            let again = try await hub.webSocket("/ws?device=ws-away")
            let marker = try await TestHTTP.post("\(hub.http)/api/v1/devices/ws-away/commands?async=true", #"{"name":"marker"}"#)
            let cmd = try await again.nextJSON(where: { $0["op"] as? String == "cmd" })
            #expect(cmd.string("id") == marker.json.string("id"))
        }
    }

    @Test func sameKeyTwiceRunsOnce() async throws {
        try await TestHub.with { hub in
            let device = try await TestDevices.webSocketDevice(hub, id: "ws-key")
            let body = #"{"name":"toggle_relay","key":"press-1"}"#
            let first = try await TestHTTP.post("\(hub.http)/api/v1/devices/ws-key/commands?async=true", body)
            #expect(first.status == 202)
            let cmd = try await device.nextJSON(where: { $0["op"] as? String == "cmd" })
            try await device.send(json: ["op": "cmd_result", "id": cmd["id"]!, "result": ["relay": true]])
            let second = try await TestHTTP.post("\(hub.http)/api/v1/devices/ws-key/commands", body)
            #expect(second.json.string("id") == first.json.string("id"))
            #expect(second.status == 200)
            #expect(second.json.string("state") == "succeeded")
            // The device saw it once: the next command it receives is a new one.
            let marker = try await TestHTTP.post("\(hub.http)/api/v1/devices/ws-key/commands?async=true", #"{"name":"marker"}"#)
            let next = try await device.nextJSON(where: { $0["op"] as? String == "cmd" })
            #expect(next.string("name") == "marker")
            #expect(next.string("id") == marker.json.string("id"))
        }
    }

    @Test func idClashHandsTheIdToTheNewerConnection() async throws {
        try await TestHub.with { hub in
            let watcher = try await TestDevices.watchSystem(hub)
            let older = try await TestDevices.webSocketDevice(hub, id: "twin")
            _ = try await watcher.nextEvent("$sys/devices")
            let newer = try await TestDevices.webSocketDevice(hub, id: "twin")

            let error = try await older.nextJSON()
            #expect(error.string("op") == "error")
            #expect(error[object: "error"].string("code") == "conflict")
            #expect(try await older.next() == .close(code: 1008, reason: "device id taken over"))

            // The newer connection holds the id: still online, and commands reach it.
            let online = try await watcher.nextEvent("$sys/devices")
            #expect(online.string("event") == "online")
            async let response = TestHTTP.post("\(hub.http)/api/v1/devices/twin/commands", #"{"name":"ping"}"#)
            let cmd = try await newer.nextJSON(where: { $0["op"] as? String == "cmd" })
            try await newer.send(json: ["op": "cmd_result", "id": cmd["id"]!, "result": "pong"])
            #expect(try await response.json.string("state") == "succeeded")
            #expect(try await TestHTTP.get("\(hub.http)/api/v1/devices/twin").json["online"] as? Bool == true)

            // A TCP device taking over a WebSocket one gets the id the same way.
            let tcp = try await TestTCPClient(port: hub.tcpPort)
            try await tcp.send(#"{"hello":"twin"}"#)
            #expect(TestDevices.json(try #require(try await tcp.nextLine()))["ok"] as? Bool == true)
            #expect(try await newer.nextJSON()[object: "error"].string("code") == "conflict")
            #expect(try await TestHTTP.get("\(hub.http)/api/v1/devices/twin").json.string("transport") == "tcp")
            await tcp.close()
        }
    }

    @Test func badInputGetsClearErrors() async throws {
        try await TestHub.with { hub in
            let device = try await TestDevices.webSocketDevice(hub, id: "ws-bad", info: Self.relayInfo)
            func post(_ path: String, _ body: String) async throws -> TestHTTP.Response {
                try await TestHTTP.post("\(hub.http)/api/v1/\(path)", body)
            }
            let unknown = try await post("devices/nobody/commands", #"{"name":"toggle_relay"}"#)
            #expect(unknown.status == 404)
            #expect(unknown.errorCode == "not_found")
            for body in [
                #"{"params":{}}"#, #"{"name":""}"#, #"{"name":"toggle_relay","params":[1]}"#, #"{"name":"toggle_relay","timeout_ms":0}"#,
                #"{"name":"toggle_relay","ttl_ms":"soon"}"#, #"{"name":"toggle_relay","tiemout_ms":5}"#, #"{"name":"open_valve"}"#, "[]",
            ] {
                let answer = try await post("devices/ws-bad/commands", body)
                #expect(answer.status == 400, "\(body)")
                #expect(answer.errorCode == "bad_request", "\(body)")
            }
            #expect(try await post("devices/ws-bad/commands", "{nope").errorCode == "bad_json")
            #expect(try await post("devices/ws-bad/commands?async=maybe", #"{"name":"toggle_relay"}"#).errorCode == "bad_request")
            #expect(try await TestHTTP.get("\(hub.http)/api/v1/commands/c-nothing").status == 404)
            #expect(try await post("commands/c-nothing/cancel", "").status == 404)

            // Answers to commands that do not exist, or from a connection that is no device.
            try await device.send(#"{"op":"cmd_result","id":"c-unknown","result":1}"#)
            let noSuch = try await device.nextJSON()
            #expect(noSuch[object: "error"].string("code") == "not_found")
            #expect(noSuch.string("id") == "c-unknown")
            try await device.send(#"{"op":"cmd_result","result":1}"#)
            #expect(try await device.nextJSON()[object: "error"].string("code") == "bad_request")
            let stranger = try await hub.webSocket("/ws")
            try await stranger.send(#"{"op":"cmd_result","id":"c-1","result":1}"#)
            #expect(try await stranger.nextJSON()[object: "error"].string("code") == "not_found")
            try await stranger.send(#"{"op":"hello","device":"a/b"}"#)
            #expect(try await stranger.nextJSON()[object: "error"].string("code") == "bad_request")
            try await stranger.send(#"{"op":"hello","device":"x","info":[1]}"#)
            #expect(try await stranger.nextJSON()[object: "error"].string("code") == "bad_request")
            let huge = String(repeating: "x", count: 40_000)
            #expect(try await post("devices/ws-bad/commands", #"{"name":"toggle_relay","params":{"x":"\#(huge)"}}"#).errorCode == "too_large")
            try await device.send(#"{"op":"hello","device":"other-name"}"#)
            #expect(try await device.nextJSON()[object: "error"].string("code") == "conflict")

            let tcp = try await TestTCPClient(port: hub.tcpPort)
            try await tcp.send(#"{"cmd_result":{"id":"c-9","result":1}}"#)
            #expect(TestDevices.json(try #require(try await tcp.nextLine()))[object: "error"].string("code") == "not_found")

            // Nothing else is disturbed: the device still takes a command.
            async let response = post("devices/ws-bad/commands", #"{"name":"toggle_relay"}"#)
            let cmd = try await device.nextJSON(where: { $0["op"] as? String == "cmd" })
            try await device.send(json: ["op": "cmd_result", "id": cmd["id"]!, "result": true])
            #expect(try await response.json.string("state") == "succeeded")
            await tcp.close()
        }
    }

    @Test func callMethodsOverWebSocket() async throws {
        try await TestHub.with { hub in
            let device = try await hub.webSocket("/ws")
            try await device.send(#"{"op":"call","id":1,"method":"hello","params":{"device":"rpc-dev","info":{"commands":["blink"]}}}"#)
            let hello = try await device.nextJSON()
            #expect(hello[object: "result"].string("client") == "rpc-dev")

            let caller = try await hub.webSocket("/ws")
            func call(_ method: String, _ params: [String: Any]) async throws -> [String: Any] {
                try await caller.send(json: ["op": "call", "id": method, "method": method, "params": params])
                return try await caller.nextJSON(where: { $0["id"] as? String == method })
            }
            let list = try await call("devices.list", [:])
            #expect((list[object: "result"]["devices"] as? [[String: Any]])?.first?["id"] as? String == "rpc-dev")
            #expect(try await call("devices.get", ["device": "rpc-dev"])[object: "result"][object: "info"]["commands"] as? [String] == ["blink"])

            try await caller.send(json: [
                "op": "call", "id": "send", "method": "commands.send", "params": ["device": "rpc-dev", "name": "blink", "params": ["n": 3]],
            ])
            let cmd = try await device.nextJSON(where: { $0["op"] as? String == "cmd" })
            #expect(cmd[object: "params"]["n"] as? Int == 3)
            try await device.send(json: ["op": "cmd_result", "id": cmd["id"]!, "result": ["blinked": 3]])
            let sent = try await caller.nextJSON(where: { $0["id"] as? String == "send" })
            #expect(sent[object: "result"].string("state") == "succeeded")
            let commandID = try #require(sent[object: "result"].string("id"))

            #expect(try await call("commands.get", ["id": commandID])[object: "result"].string("state") == "succeeded")
            let listed = try await call("commands.list", ["device": "rpc-dev"])
            #expect((listed[object: "result"]["commands"] as? [[String: Any]])?.count == 1)
            let asyncSend = try await call("commands.send", ["device": "rpc-dev", "name": "blink", "async": true])
            #expect(asyncSend[object: "result"].string("state") == "sent")
            let cancel = try await call("commands.cancel", ["id": asyncSend[object: "result"].string("id")!])
            #expect(cancel[object: "error"].string("code") == "conflict")

            for (method, params, code) in [
                ("devices.get", [:], "bad_request"), ("devices.get", ["device": "ghost"], "not_found"),
                ("commands.send", ["device": "rpc-dev"], "bad_request"),
                ("commands.send", ["device": "rpc-dev", "name": "blink", "async": "yes"], "bad_request"),
                ("commands.send", ["device": "ghost", "name": "blink"], "not_found"), ("commands.get", ["id": 5], "bad_request"),
                ("commands.list", ["limit": 0], "bad_request"), ("devices.list", ["x": 1], "bad_request"),
            ] as [(String, [String: Any], String)] {
                #expect(try await call(method, params)[object: "error"].string("code") == code, "\(method) \(params)")
            }
        }
    }
}
