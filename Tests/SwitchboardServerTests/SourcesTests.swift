import Foundation
import NIOCore
import NIOPosix
import SwitchboardControl
import SwitchboardCore
import Testing

@testable import SwitchboardServer

/// Issue 4, managed sources: every kind created, started, stopped and deleted over REST and `/ws`;
/// two other clients see every change on `$sys/sources` in the same order; restarts; bad input.
@Suite struct SourcesTests {
    /// The simulated kinds, their params (fast, so the test is short) and a field each message has.
    static let simulators: [(kind: String, params: String, field: String)] = [
        ("clock", #"{"min_interval_ms":10,"max_interval_ms":30}"#, "iso"),
        ("sensor", #"{"rate_hz":40,"unit":"°C","min":15,"max":30}"#, "value"),
        ("accel", #"{"rate_hz":40}"#, "z"),
        ("sine", #"{"rate_hz":40,"fields":{"a":{"freq_hz":1},"b":{"freq_hz":2,"amplitude":3}}}"#, "b"),
    ]

    @Test func everySimulatorKindOverRESTWithTwoWatchersSeeingTheSameOrder() async throws {
        try await TestHub.with { hub in
            let first = try await SourceEventWatcher.connect(hub)
            let second = try await SourceEventWatcher.connect(hub)
            var expected: [String] = []
            for (kind, params, field) in Self.simulators {
                let name = "rest-\(kind)"
                let topic = "sim/\(kind)"
                let reader = try await TopicReader.connect(hub, topic: topic)
                let created = try await SourcesAPI.create(hub, #"{"name":"\#(name)","kind":"\#(kind)","topic":"\#(topic)","params":\#(params)}"#)
                #expect(created.status == 201, "\(created.text)")
                #expect(created.json["state"] as? String == "running")
                #expect(created.json["topic"] as? String == topic)
                #expect(created.json["error"] is NSNull)
                for _ in 0..<3 {
                    let data = try await reader.nextData()
                    #expect(data[field] != nil, "\(kind) data \(data) has \(field)")
                }
                let descriptor = try await TestHTTP.get("\(hub.http)/api/v1/topics/\(topic)/descriptor")
                #expect(descriptor.status == 200)
                #expect(descriptor.json["kind"] != nil)

                let stopped = try await SourcesAPI.action(hub, name, "stop")
                #expect(stopped.json["state"] as? String == "stopped")
                #expect(try await SourcesAPI.get(hub, name).json["state"] as? String == "stopped")
                let started = try await SourcesAPI.action(hub, name, "start")
                #expect(started.json["state"] as? String == "running")
                _ = try await reader.nextData()
                let deleted = try await SourcesAPI.delete(hub, name)
                #expect(deleted.status == 200)
                #expect(try await SourcesAPI.get(hub, name).status == 404)
                await reader.socket.close()
                expected += ["created", "started", "stopped", "started", "deleted"].map { "\($0) \(name)" }
            }
            let list = try await TestHTTP.get("\(hub.http)/api/v1/sources")
            #expect((list.json["sources"] as? [Any])?.isEmpty == true)
            for watcher in [first, second] {
                var seen: [SourceEvent] = []
                while seen.count < expected.count { seen.append(try await watcher.next()) }
                #expect(seen.map { "\($0.event) \($0.name)" } == expected)
                #expect(seen.map(\.seq) == Array(seen.first!.seq..<(seen.first!.seq + expected.count)), "no event missed")
            }
        }
    }

    @Test func everySimulatorKindOverWebSocketCall() async throws {
        try await TestHub.with { hub in
            let watcher = try await SourceEventWatcher.connect(hub)
            let client = try await hub.webSocket("/ws")
            var id = 100
            func call(_ method: String, _ params: [String: Any]) async throws -> [String: Any] {
                id += 1
                try await client.send(json: ["op": "call", "id": id, "method": method, "params": params])
                while true {
                    let frame = try await client.nextJSON()
                    if frame["id"] as? Int == id { return frame }
                }
            }
            for (kind, params, _) in Self.simulators {
                let name = "ws-\(kind)"
                let object = try JSONSerialization.jsonObject(with: Data(params.utf8))
                let created = try await call("sources.create", ["name": name, "kind": kind, "params": object, "state": "stopped"])
                #expect(created["op"] as? String == "result", "\(created)")
                #expect((created["result"] as? [String: Any])?["state"] as? String == "stopped")
                #expect((created["result"] as? [String: Any])?["topic"] as? String == "sources/\(name)")
                let got = try await call("sources.get", ["name": name])
                #expect((got["result"] as? [String: Any])?["kind"] as? String == kind)
                let started = try await call("sources.start", ["name": name])
                #expect((started["result"] as? [String: Any])?["state"] as? String == "running")
                let list = try await call("sources.list", [:])
                let names = ((list["result"] as? [String: Any])?["sources"] as? [[String: Any]])?.compactMap { $0["name"] as? String }
                #expect(names == [name])
                let stopped = try await call("sources.stop", ["name": name])
                #expect((stopped["result"] as? [String: Any])?["state"] as? String == "stopped")
                let deleted = try await call("sources.delete", ["name": name])
                #expect(deleted["op"] as? String == "result")
                let events = try await watcher.waitFor("deleted", of: name)
                #expect(events.map(\.event) == ["created", "started", "stopped", "deleted"])
            }
            let missing = try await call("sources.get", ["name": "nope"])
            #expect((missing["error"] as? [String: Any])?["code"] as? String == "not_found")
            let noName = try await call("sources.start", [:])
            #expect((noName["error"] as? [String: Any])?["code"] as? String == "bad_request")
            let badKind = try await call("sources.create", ["name": "x", "kind": "teleporter"])
            #expect((badKind["error"] as? [String: Any])?["code"] as? String == "bad_request")
        }
    }

    @Test func badInputGetsClearErrorsAndDisturbsNothing() async throws {
        try await TestHub.with { hub in
            let watcher = try await SourceEventWatcher.connect(hub)
            let ok = try await SourcesAPI.create(hub, #"{"name":"steady","kind":"sensor","topic":"bad/steady","params":{"rate_hz":20}}"#)
            #expect(ok.status == 201)
            try await watcher.waitFor("started", of: "steady")
            let cases: [(body: String, status: Int, code: String, mentions: String)] = [
                (#"{"name":"a","kind":"teleporter"}"#, 400, "bad_request", "unknown source kind 'teleporter'"),
                (#"{"name":"a","kind":"sensor","params":{"rate_hz":"fast"}}"#, 400, "bad_request", "'rate_hz' must be a number"),
                (#"{"name":"a","kind":"sensor","params":{"rate_hz":0}}"#, 400, "bad_request", "'rate_hz' must be between"),
                (#"{"name":"a","kind":"sensor","params":{"rate":5}}"#, 400, "bad_request", "unknown sensor param 'rate'"),
                (#"{"name":"a","kind":"sensor","params":{"min":5,"max":1}}"#, 400, "bad_request", "'min' (5) must be below 'max' (1)"),
                (#"{"name":"a","kind":"clock","params":{"min_interval_ms":500,"max_interval_ms":100}}"#, 400, "bad_request", "min_interval_ms"),
                (#"{"name":"a","kind":"tcp-client","params":{}}"#, 400, "bad_request", "'port' is required"),
                (#"{"name":"a","kind":"replay","params":{}}"#, 400, "bad_request", "from_topic"),
                (#"{"name":"a","kind":"replay","topic":"x/y","params":{"from_topic":"x/y"}}"#, 400, "bad_request", "into itself"),
                (#"{"name":"a","kind":"exec","params":{"command":"echo hi"}}"#, 403, "forbidden", "--allow-exec"),
                (#"{"name":"a b","kind":"sensor"}"#, 400, "bad_request", "source name 'a b'"),
                (#"{"kind":"sensor"}"#, 400, "bad_request", "missing name"),
                (#"{"name":"a","kind":"sensor","topic":"$sys/x"}"#, 400, "bad_topic", "belong to the hub"),
                (#"{"name":"a","kind":"sensor","colour":"red"}"#, 400, "bad_request", "unknown source field 'colour'"),
                (#"{"name":"a","kind":"sensor","state":"paused"}"#, 400, "bad_request", "state must be"),
                (#"{"name":"steady","kind":"clock"}"#, 409, "conflict", "already exists"),
                ("{nope", 400, "bad_json", "at byte"),
            ]
            for (body, status, code, mentions) in cases {
                let answer = try await SourcesAPI.create(hub, body)
                #expect(answer.status == status, "\(body) → \(answer.text)")
                #expect(answer.errorCode == code, "\(body) → \(answer.text)")
                #expect(answer.text.contains(mentions), "\(body) → \(answer.text)")
            }
            for action in ["start", "stop"] {
                let missing = try await SourcesAPI.action(hub, "ghost", action)
                #expect(missing.status == 404 && missing.errorCode == "not_found")
                #expect(missing.text.contains("ghost"))
            }
            #expect(try await SourcesAPI.delete(hub, "ghost").status == 404)
            #expect(try await SourcesAPI.action(hub, "steady", "explode").status == 404)

            // Nothing else changed: one source, still running and publishing; the next event is ours.
            let list = try await TestHTTP.get("\(hub.http)/api/v1/sources")
            let sources = list.json["sources"] as? [[String: Any]] ?? []
            #expect(sources.map { $0["name"] as? String } == ["steady"])
            #expect(sources.first?["state"] as? String == "running")
            let reader = try await TopicReader.connect(hub, topic: "bad/steady")
            _ = try await reader.nextData()
            _ = try await SourcesAPI.action(hub, "steady", "stop")
            let next = try await watcher.next()
            #expect(next.event == "stopped" && next.name == "steady")
        }
    }

    @Test func sourcesComeBackAfterARestartInTheirDesiredStateAndSeqContinues() async throws {
        let directory = TestFiles.temporaryDirectory()
        let lastSeq = try await TestHub.with(dataDirectory: directory) { hub in
            let watcher = try await SourceEventWatcher.connect(hub)
            #expect(try await SourcesAPI.create(hub, #"{"name":"live","kind":"sensor","topic":"rs/live","params":{"rate_hz":20}}"#).status == 201)
            #expect(try await SourcesAPI.create(hub, #"{"name":"idle","kind":"clock","topic":"rs/idle","state":"stopped"}"#).status == 201)
            #expect(try await SourcesAPI.create(hub, #"{"name":"paused","kind":"sine","topic":"rs/paused"}"#).status == 201)
            _ = try await SourcesAPI.action(hub, "paused", "stop")
            try await watcher.waitFor("stopped", of: "paused")
            let reader = try await TopicReader.connect(hub, topic: "rs/live")
            for _ in 0..<3 { _ = try await reader.next() }
            return try await Self.lastSeq(hub, topic: "rs/live")
        }
        #expect(lastSeq >= 3)
        let restartedAt = Int(Date().timeIntervalSince1970 * 1000)
        try await TestHub.with(dataDirectory: directory) { hub in
            #expect(try await SourcesAPI.get(hub, "live").json["state"] as? String == "running")
            #expect(try await SourcesAPI.get(hub, "idle").json["state"] as? String == "stopped")
            #expect(try await SourcesAPI.get(hub, "paused").json["state"] as? String == "stopped")
            // The sensor publishes again after the restart…
            let reader = try await TopicReader.connect(hub, topic: "rs/live", since: lastSeq)
            var newest: [String: Any] = [:]
            while (newest["ts"] as? Int ?? 0) < restartedAt { newest = try await reader.next() }
            // …and its seqs run on from the first run's: 1, 2, … with nothing reused or skipped.
            let history = try await TestHTTP.get("\(hub.http)/api/v1/topics/rs/live/messages?limit=10000")
            let seqs = (history.json["messages"] as? [[String: Any]] ?? []).compactMap { $0["seq"] as? Int }
            #expect(seqs == Array(1...(seqs.last ?? 0)))
            #expect((seqs.last ?? 0) > lastSeq)
            #expect(newest["seq"] as? Int ?? 0 > lastSeq)
        }
    }

    @Test func demoCreatesAndStartsSimulatedSources() async throws {
        try await TestHub.with(configure: { $0.control.demo = true }) { hub in
            for (name, topic) in [
                ("demo-temperature", "demo/temperature"), ("demo-clock", "demo/clock"), ("demo-accel", "demo/accel"), ("demo-wave", "demo/wave"),
            ] {
                let source = try await SourcesAPI.get(hub, name)
                #expect(source.json["state"] as? String == "running", "\(name): \(source.text)")
                #expect(source.json["topic"] as? String == topic)
            }
            let reader = try await TopicReader.connect(hub, topic: "demo/temperature")
            let data = try await reader.nextData()
            #expect(data["unit"] as? String == "°C")
            let descriptor = try await TestHTTP.get("\(hub.http)/api/v1/topics/demo/temperature/descriptor")
            #expect(descriptor.json["unit"] as? String == "°C")
            #expect(descriptor.json["fields"] as? [String] == ["value"])
        }
    }

    static func lastSeq(_ hub: TestHub, topic: String) async throws -> Int {
        let topics = try await TestHTTP.get("\(hub.http)/api/v1/topics").json["topics"] as? [[String: Any]] ?? []
        return topics.first { $0["topic"] as? String == topic }?["last_seq"] as? Int ?? 0
    }
}
