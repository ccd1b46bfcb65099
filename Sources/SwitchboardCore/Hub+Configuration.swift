extension Hub {
    /// Limits and policies of the hub. Every field has a documented default.
    public struct Configuration: Sendable {
        /// Largest `data` accepted, in bytes of JSON. Default 64 KiB.
        public var maxMessageBytes = 64 * 1024
        /// Newest messages kept in memory per topic, so that most replays never touch disk. Default 1024.
        public var windowSize = 1024
        /// Publishes waiting for commit before new ones are refused with `unavailable`. Default 100,000.
        public var maxQueuedPublishes = 100_000
        /// Default maximum age of stored messages, in ms; `nil` keeps them forever. Default 30 days.
        public var retainAgeMs: Int64? = 30 * 24 * 3600 * 1000
        /// Default maximum number of stored messages per topic; `nil` keeps any number. Default 1,000,000.
        public var retainCount: Int64? = 1_000_000
        /// Per-pattern retention; the first matching rule wins over the defaults.
        public var retention: [RetentionRule] = []
        /// Outbound limits of each subscriber connection.
        public var outbound = Outbound()

        public init() {}
    }

    /// The bounded outbound queue of one connection (SPEC: 4096 messages or 8 MiB).
    public struct Outbound: Sendable {
        /// Messages queued and not yet written to the socket before a `lossless` subscriber is closed (1013). Default 4096.
        public var maxMessages = 4096
        /// Bytes queued before a `lossless` subscriber is closed (1013). Default 8 MiB.
        public var maxBytes = 8 * 1024 * 1024
        /// Queue depth from which a `latest` subscriber is considered behind and its messages conflated. Default 64.
        public var latestThreshold = 64
        /// Messages read per step of a replay. Default 2500: about 650 KB of 200-byte envelopes, well
        /// inside `maxBytes`, and 10 % faster than 1000 per step for a million-message replay.
        public var replayPageSize = 2500

        public init() {}
    }
}
