import Foundation
import Testing

/// One event from `$sys/sources`: `{"event":…,"source":{…}}`.
struct SourceEvent: Equatable, CustomStringConvertible {
    let event: String
    let name: String
    let state: String
    let error: String?
    let seq: Int
    /// When the hub committed the event (ms).
    let ts: Int

    var description: String { "\(self.event) \(self.name) \(self.state)\(self.error.map { " (\($0))" } ?? "")" }
}

/// A WebSocket client subscribed to `$sys/sources`, reading its events in order.
struct SourceEventWatcher {
    let socket: TestWebSocket

    static func connect(_ hub: TestHub) async throws -> SourceEventWatcher {
        let socket = try await hub.webSocket("/ws")
        try await socket.send(json: ["op": "sub", "id": 1, "topics": ["$sys/sources"]])
        let answer = try await socket.nextJSON()
        #expect(answer["op"] as? String == "ok")
        return SourceEventWatcher(socket: socket)
    }

    /// The next event, whatever it is.
    func next(timeout: Duration = .seconds(10)) async throws -> SourceEvent {
        while true {
            let frame = try await self.socket.nextJSON(timeout: timeout)
            guard frame["op"] as? String == "msg", let data = frame["data"] as? [String: Any],
                let source = data["source"] as? [String: Any]
            else { continue }
            return SourceEvent(
                event: data["event"] as? String ?? "?",
                name: source["name"] as? String ?? "?",
                state: source["state"] as? String ?? "?",
                error: source["error"] as? String,
                seq: frame["seq"] as? Int ?? 0,
                ts: frame["ts"] as? Int ?? 0
            )
        }
    }

    /// Reads events until `event` of source `name` arrives; returns every event read, that one last.
    @discardableResult
    func waitFor(_ event: String, of name: String, timeout: Duration = .seconds(15)) async throws -> [SourceEvent] {
        var seen: [SourceEvent] = []
        let deadline = ContinuousClock.now + timeout
        while true {
            let remaining = deadline - ContinuousClock.now
            guard remaining > .zero else { throw TestWebSocket.TimedOut(description: "no '\(event)' of \(name); saw \(seen)") }
            let next = try await self.next(timeout: remaining)
            seen.append(next)
            if next.event == event && next.name == name { return seen }
        }
    }
}

/// REST calls on `/api/v1/sources`.
enum SourcesAPI {
    static func create(_ hub: TestHub, _ body: String) async throws -> TestHTTP.Response {
        try await TestHTTP.post("\(hub.http)/api/v1/sources", body)
    }

    static func action(_ hub: TestHub, _ name: String, _ action: String) async throws -> TestHTTP.Response {
        try await TestHTTP.request("POST", "\(hub.http)/api/v1/sources/\(name)/\(action)")
    }

    static func get(_ hub: TestHub, _ name: String) async throws -> TestHTTP.Response {
        try await TestHTTP.get("\(hub.http)/api/v1/sources/\(name)")
    }

    static func delete(_ hub: TestHub, _ name: String) async throws -> TestHTTP.Response {
        try await TestHTTP.request("DELETE", "\(hub.http)/api/v1/sources/\(name)")
    }
}

/// A client subscribed to one data topic, reading its messages' data.
struct TopicReader {
    let socket: TestWebSocket

    static func connect(_ hub: TestHub, topic: String, since: Int? = nil) async throws -> TopicReader {
        let socket = try await hub.webSocket("/ws")
        var sub: [String: Any] = ["op": "sub", "id": 1, "topics": [topic]]
        if let since { sub["since"] = [topic: since] }
        try await socket.send(json: sub)
        let answer = try await socket.nextJSON()
        #expect(answer["op"] as? String == "ok")
        return TopicReader(socket: socket)
    }

    /// The next message's envelope.
    func next(timeout: Duration = .seconds(10)) async throws -> [String: Any] {
        while true {
            let frame = try await self.socket.nextJSON(timeout: timeout)
            if frame["op"] as? String == "msg" { return frame }
        }
    }

    func nextData(timeout: Duration = .seconds(10)) async throws -> [String: Any] {
        try await self.next(timeout: timeout)["data"] as? [String: Any] ?? [:]
    }
}
