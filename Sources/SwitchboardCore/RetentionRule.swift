/// How long and how many messages a set of topics keeps.
///
/// Rules are tried in order; the first whose pattern matches a topic applies,
/// otherwise the hub's defaults (30 days, 1,000,000 messages per topic).
public struct RetentionRule: Sendable, Equatable {
    public var pattern: TopicPattern
    /// Maximum age in milliseconds; `nil` keeps messages forever.
    public var maxAgeMs: Int64?
    /// Maximum messages kept per topic; `nil` keeps any number.
    public var maxCount: Int64?

    public init(pattern: TopicPattern, maxAgeMs: Int64?, maxCount: Int64?) {
        self.pattern = pattern
        self.maxAgeMs = maxAgeMs
        self.maxCount = maxCount
    }

    /// A rule applied to one topic at one moment.
    public struct Resolved: Sendable {
        public var topic: String
        /// Delete messages with `ts` below this.
        public var minTs: Int64?
        /// Delete messages with `seq` at or below this.
        public var maxDeletedSeq: Int64?

        public init(topic: String, minTs: Int64?, maxDeletedSeq: Int64?) {
            self.topic = topic
            self.minTs = minTs
            self.maxDeletedSeq = maxDeletedSeq
        }
    }
}
