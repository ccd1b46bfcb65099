import Foundation
import NIOCore
import SwitchboardCore

/// One line an `exec` program printed or a `tcp-client` peer sent, read as a message:
/// JSON is the message's `data`; `{"topic":…,"data":…}` (exactly those two members) goes to
/// that topic; a line not starting with `{` or `[` is read as base64 of such JSON (seed 004's ESP32s).
struct SourceLine {
    /// Where it goes (`nil`: the source's own topic).
    var topic: Topic?
    var data: ByteBuffer

    init(_ line: String, allowBase64: Bool) throws(HubError) {
        let trimmed = line.trimmingCharacters(in: .whitespaces)
        var text = trimmed
        if allowBase64, let first = trimmed.first, first != "{", first != "[" {
            guard let decoded = Data(base64Encoded: trimmed), let json = String(data: decoded, encoding: .utf8) else {
                throw .badJSON("line is neither JSON nor base64 of JSON: \(trimmed.prefix(80))")
            }
            text = json
        }
        let value: JSONValue
        do {
            value = try JSONParser.parse(text)
        } catch {
            throw .badJSON("line is not JSON (\(error.message)): \(text.prefix(80))")
        }
        if let members = value.objectValue, members.count == 2, let topic = value["topic"], let data = value["data"] {
            guard let name = topic.stringValue else { throw .badTopic("a line's topic must be a string") }
            self.topic = try Topic(validating: name)
            self.data = data.buffer()
        } else {
            self.topic = nil
            self.data = value.buffer()
        }
    }
}

/// Exponential back-off between restarts or reconnects: `initial` doubling up to `maximum`,
/// back to `initial` once a run lasted `resetAfter`.
struct Backoff {
    var initial: Duration = .milliseconds(500)
    var maximum: Duration = .seconds(30)
    var resetAfter: Duration = .seconds(60)
    private(set) var current: Duration?

    init(initial: Duration = .milliseconds(500), maximum: Duration = .seconds(30), resetAfter: Duration = .seconds(60)) {
        self.initial = initial
        self.maximum = maximum
        self.resetAfter = resetAfter
    }

    /// The delay before the next attempt, given how long the last one ran.
    mutating func next(afterRunning ran: Duration) -> Duration {
        if ran >= self.resetAfter { self.current = nil }
        let delay = self.current.map { Swift.min($0 * 2, self.maximum) } ?? self.initial
        self.current = delay
        return delay
    }
}
