public import SwitchboardCore

/// What one authenticated client may do: its scopes, and who it is.
public struct Grant: Sendable, Equatable {
    /// `token:<id>`, `jwt:<sub>`, `user:<name>` or `anonymous`.
    public let subject: String
    public let scopes: [Scope]

    public init(subject: String, scopes: [Scope]) {
        self.subject = subject
        self.scopes = scopes
    }

    /// A hub with no tokens or accounts, bound to loopback: every local client may do everything.
    public static let anonymous = Grant(subject: "anonymous", scopes: [.admin])

    public var isAdmin: Bool { self.scopes.contains(.admin) }

    /// Publishing to `topic`. Hub-owned `$` topics are never published by clients.
    public func mayPublish(_ topic: Topic) -> Bool {
        if self.isAdmin { return true }
        return self.scopes.contains { scope in
            if case .publish(let pattern) = scope { return pattern.matches(topic) }
            return false
        }
    }

    /// Subscribing to `pattern`: allowed only when one `sub:` scope covers every topic it can match.
    public func maySubscribe(_ pattern: TopicPattern) -> Bool {
        if self.isAdmin { return true }
        return self.scopes.contains { scope in
            if case .subscribe(let allowed) = scope { return allowed.covers(pattern) }
            return false
        }
    }

    /// Reading one topic (history, export, descriptor, topic listing).
    public func mayRead(_ topic: Topic) -> Bool {
        if self.isAdmin { return true }
        return self.scopes.contains { scope in
            if case .subscribe(let pattern) = scope { return pattern.matches(topic) }
            return false
        }
    }

    /// Sending commands to `device`.
    public func mayCommand(_ device: String) -> Bool {
        if self.isAdmin { return true }
        return self.scopes.contains { scope in
            guard case .command(let pattern) = scope else { return false }
            if pattern.text == "#" { return true }
            guard let topic = try? Topic(validating: device) else { return false }
            return pattern.matches(topic)
        }
    }

    /// The error for a refused action, naming what was missing.
    public func refusal(_ action: String, needs scope: String) -> HubError {
        .forbidden("\(action) needs the scope \(scope); \(self.subject) has \(self.scopes.isEmpty ? "none" : self.scopes.map(\.description).joined(separator: " "))")
    }
}
