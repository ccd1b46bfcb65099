public import SwitchboardCore

/// One permission a token, JWT or account role carries.
///
/// Written as text: `pub:<pattern>` (publish to matching topics),
/// `sub:<pattern>` (subscribe, read history and descriptors of matching topics),
/// `cmd:<device pattern>` (send commands to matching devices; device ids match
/// like topics) and `admin` (everything, including exec sources and tokens).
public enum Scope: Hashable, Sendable, CustomStringConvertible {
    case publish(TopicPattern)
    case subscribe(TopicPattern)
    case command(TopicPattern)
    case admin

    /// Parses `pub:lab/#`, `sub:lab/+/temp`, `cmd:esp32-+`, `admin`.
    public init(parsing text: String) throws(HubError) {
        if text == "admin" {
            self = .admin
            return
        }
        guard let colon = text.firstIndex(of: ":") else {
            throw .badRequest("scope '\(text)' is not pub:<pattern>, sub:<pattern>, cmd:<device pattern> or admin")
        }
        let pattern = try TopicPattern(validating: String(text[text.index(after: colon)...]))
        switch text[..<colon] {
        case "pub": self = .publish(pattern)
        case "sub": self = .subscribe(pattern)
        case "cmd": self = .command(pattern)
        default: throw .badRequest("scope '\(text)' has an unknown kind; use pub:, sub:, cmd: or admin")
        }
    }

    public var description: String {
        switch self {
        case .publish(let pattern): "pub:\(pattern)"
        case .subscribe(let pattern): "sub:\(pattern)"
        case .command(let pattern): "cmd:\(pattern)"
        case .admin: "admin"
        }
    }
}
