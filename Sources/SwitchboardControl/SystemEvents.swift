public import Logging
import NIOCore
public import SwitchboardCore

/// Publishes state changes on the hub's own `$sys/…` topics as
/// `{"event":"<event>","<kind>":{…the object…}}`.
///
/// Events go through the committer like any message, so they are stored, get a
/// seq, and every subscriber sees them in the order they were published.
public struct SystemEvents: Sendable {
    public static let sources = Topic(trusted: "$sys/sources")
    public static let devices = Topic(trusted: "$sys/devices")
    public static let commands = Topic(trusted: "$sys/commands")

    let hub: Hub
    let logger: Logger

    /// Publishes one event; returns once it is committed (failures are logged, not thrown).
    public func publish(_ topic: Topic, event: String, kind: String, object: JSONValue) async {
        let body = JSONValue.object([("event", .string(event)), (kind, object)])
        do {
            _ = try await self.hub.publish(topic: topic, data: body.buffer())
        } catch {
            self.logger.error("Publishing a system event failed", metadata: ["topic": "\(topic)", "event": "\(event)", "error.type": "\(error)"])
        }
    }
}
