import Logging
import Foundation
import SwitchboardCore

/// Which WebSocket endpoint a request asked for, parsed from its URI.
///
/// Routing happens before the upgrade; a route whose topic or parameters are
/// invalid is still upgraded, so the client receives a specific error frame
/// (browsers cannot read the body of a refused upgrade).
enum WebSocketRoute: Sendable {
    /// `/ws`: the full JSON protocol.
    case full
    /// `/ws/pub/<topic>`: every text frame is one message's `data`.
    case publish(Topic)
    /// `/ws/sub/<pattern>`: one envelope (or `data`) per message.
    case subscribe(SimpleSubscription)
    /// The path is a WebSocket endpoint but its parameters are wrong.
    case invalid(HubError)

    struct SimpleSubscription: Sendable {
        var pattern: TopicPattern
        var dataOnly: Bool
        var since: Int64?
        var last: Int
        var policy: DeliveryPolicy
    }

    /// Query parameters every endpoint shares.
    struct Common: Sendable {
        var device: String?
    }

    /// Parses `uri`; `nil` when the path is not a WebSocket endpoint at all.
    static func parse(uri: String) -> (WebSocketRoute, Common)? {
        let (path, query) = URIParts.split(uri)
        return Self.parse(path: path, query: query)
    }

    /// Parses a URI already split into its decoded path and query.
    static func parse(path: String, query: [String: String]) -> (WebSocketRoute, Common)? {
        let common = Common(device: query["device"])
        if path == "/ws" || path == "/ws/" { return (.full, common) }
        if path.hasPrefix("/ws/pub/") {
            let name = String(path.dropFirst("/ws/pub/".count))
            do throws(HubError) {
                return (.publish(try Topic(validating: name)), common)
            } catch {
                return (.invalid(error), common)
            }
        }
        if path.hasPrefix("/ws/sub/") {
            let text = String(path.dropFirst("/ws/sub/".count))
            do throws(HubError) {
                let pattern = try TopicPattern(validating: text)
                var subscription = SimpleSubscription(pattern: pattern, dataOnly: false, since: nil, last: 0, policy: .lossless)
                switch query["format"] {
                case nil, "envelope": break
                case "data": subscription.dataOnly = true
                case let other?: throw .badRequest("format must be 'envelope' or 'data', not '\(other)'")
                }
                if let since = query["since"] {
                    guard let value = Int64(since), value >= 0 else { throw .badRequest("since must be a seq (a whole number ≥ 0)") }
                    subscription.since = value
                }
                if let last = query["last"] {
                    guard let value = Int(last), value >= 0 else { throw .badRequest("last must be a whole number ≥ 0") }
                    subscription.last = value
                }
                if let policy = query["policy"] {
                    guard let value = DeliveryPolicy(rawValue: policy) else { throw .badRequest("policy must be 'lossless' or 'latest'") }
                    subscription.policy = value
                }
                return (.subscribe(subscription), common)
            } catch {
                return (.invalid(error), common)
            }
        }
        return nil
    }
}
