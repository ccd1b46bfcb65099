import Foundation

/// Helpers for device and command tests: JSON frames, `$sys` watchers, devices that say hello.
enum TestDevices {
    static func json(_ text: String) -> [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] ?? [:]
    }

    static func text(_ object: [String: Any]) -> String {
        String(decoding: try! JSONSerialization.data(withJSONObject: object), as: UTF8.self)
    }

    /// A `/ws` client subscribed to `$sys/devices` and `$sys/commands`.
    static func watchSystem(_ hub: TestHub) async throws -> TestWebSocket {
        let watcher = try await hub.webSocket("/ws")
        try await watcher.send(#"{"op":"sub","id":"sys","topics":["$sys/devices","$sys/commands"]}"#)
        _ = try await watcher.nextJSON(where: { $0["op"] as? String == "ok" })
        return watcher
    }

    /// A `/ws` device that said hello with `info`, once the hub answered.
    static func webSocketDevice(_ hub: TestHub, id: String, info: [String: Any] = [:]) async throws -> TestWebSocket {
        let device = try await hub.webSocket("/ws")
        try await device.send(json: ["op": "hello", "id": "h", "device": id, "info": info])
        let answer = try await device.nextJSON()
        guard answer["op"] as? String == "ok" else { throw TestWebSocket.TimedOut(description: "hello answered \(answer)") }
        return device
    }

    /// Base64 of a JSON line, as an ESP32 sends it.
    static func base64(_ text: String) -> String { Data(text.utf8).base64EncodedString() }

    static func unbase64(_ line: String) -> [String: Any] {
        self.json(String(decoding: Data(base64Encoded: line) ?? Data(), as: UTF8.self))
    }
}

extension TestWebSocket {
    /// The next JSON frame that satisfies `predicate`, skipping others, within `timeout` in all.
    func nextJSON(where predicate: ([String: Any]) -> Bool, timeout: Duration = .seconds(10)) async throws -> [String: Any] {
        let deadline = ContinuousClock.now + timeout
        while true {
            let left = deadline - ContinuousClock.now
            guard left > .zero else { throw TimedOut(description: "no matching frame within \(timeout)") }
            let frame = try await self.nextJSON(timeout: left)
            if predicate(frame) { return frame }
        }
    }

    /// The next `$sys` event (`data` of a `msg` frame) on `topic` that satisfies `predicate`.
    func nextEvent(
        _ topic: String,
        timeout: Duration = .seconds(10),
        where predicate: ([String: Any]) -> Bool = { _ in true }
    ) async throws
        -> [String: Any]
    {
        let frame = try await self.nextJSON(
            where: { frame in
                guard frame["op"] as? String == "msg", frame["topic"] as? String == topic, let data = frame["data"] as? [String: Any] else {
                    return false
                }
                return predicate(data)
            },
            timeout: timeout
        )
        return frame["data"] as! [String: Any]
    }
}

extension [String: Any] {
    /// `self["command"]` or `self["device"]` of a `$sys` event, or a field of a command object.
    subscript(object key: String) -> [String: Any] { self[key] as? [String: Any] ?? [:] }
    func string(_ key: String) -> String? { self[key] as? String }
}
