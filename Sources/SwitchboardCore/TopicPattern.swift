/// A subscription pattern with MQTT semantics: `+` matches one segment, a
/// trailing `#` any number of segments, including zero (`lab/#` matches `lab`).
///
/// Following MQTT, a pattern that starts with a wildcard does not match hub
/// topics beginning with `$`; subscribe to `$sys/#` to see them.
public struct TopicPattern: Hashable, Sendable, CustomStringConvertible {
    /// The pattern as text.
    public let text: String
    let segments: [Substring]

    /// Validates `text` as a pattern: the topic rules, plus `+` and `#` as whole segments.
    public init(validating text: String) throws(HubError) {
        try Topic.validate(text, allowSystem: true, allowWildcards: true)
        self.text = text
        self.segments = text.split(separator: "/", omittingEmptySubsequences: false)
    }

    public var description: String { self.text }

    /// Whether the pattern has no wildcard, so it names exactly one topic.
    public var isExact: Bool { !self.segments.contains { $0 == "+" || $0 == "#" } }

    /// Whether `topic` matches this pattern.
    public func matches(_ topic: Topic) -> Bool {
        if topic.isSystem, let first = self.segments.first, first == "+" || first == "#" {
            return false
        }
        var patternIndex = 0
        var topicSegments = topic.name.split(separator: "/", omittingEmptySubsequences: false)[...]
        while patternIndex < self.segments.count {
            let segment = self.segments[patternIndex]
            if segment == "#" { return true }
            guard let topicSegment = topicSegments.popFirst() else {
                return false
            }
            if segment != "+" && segment != topicSegment { return false }
            patternIndex += 1
        }
        return topicSegments.isEmpty
    }

    /// Whether every topic `other` can match is also matched by this pattern
    /// (`lab/#` covers `lab/+/temp`; `lab/+` does not cover `lab/#`). Used to
    /// decide whether a subscription stays inside a token's `sub:` scopes.
    public func covers(_ other: TopicPattern) -> Bool {
        // A leading wildcard never matches `$` topics, so it cannot cover a pattern naming one.
        if let first = self.segments.first, first == "+" || first == "#", other.segments.first?.first == "$" {
            return false
        }
        var index = 0
        while index < self.segments.count {
            let segment = self.segments[index]
            if segment == "#" { return true }
            guard index < other.segments.count else { return false }
            let inner = other.segments[index]
            if inner == "#" { return false }
            if segment != "+" && segment != inner { return false }
            index += 1
        }
        return index == other.segments.count
    }
}
