public import NIOCore

/// What lets several hub nodes act as one: a shared sequencer and fan-out
/// between nodes (Redis, see `RedisBroker`). Without one, the hub sequences and
/// fans out in process.
///
/// With a broker, seqs come from the broker, and every message reaches
/// subscribers — this node's included — through the broker, in seq order per
/// topic, so that all nodes show one order.
public protocol ClusterBroker: Sendable {
    /// Starts receiving announced messages and handing them to `node`.
    func start(node: any ClusterNode)

    /// Assigns gap-free seqs to each run's messages, in order, and announces
    /// them to every node. Blocking: called on the committer thread only.
    ///
    /// - Returns: the first seq of each run.
    /// - Throws: ``HubError/unavailable(_:)`` when the broker cannot be reached.
    func announce(_ runs: [AnnouncedRun]) throws(HubError) -> [Int64]

    /// Messages of `topic` with `seq > after` from the broker's recent log, oldest
    /// first, or `nil` when the log does not reach back to `after + 1`. Blocking.
    func recent(topic: String, after: Int64, limit: Int) -> [StoredMessage]?

    /// Stops receiving and closes connections.
    func stop()
}

/// The new messages of one topic in one commit batch.
public struct AnnouncedRun: Sendable {
    public var topic: String
    /// The highest seq this node knows is taken: the broker never hands out a lower one.
    public var floor: Int64
    public var messages: [StoredMessage]

    public init(topic: String, floor: Int64, messages: [StoredMessage]) {
        self.topic = topic
        self.floor = floor
        self.messages = messages
    }
}

/// The hub as a broker sees it.
public protocol ClusterNode: Sendable {
    /// The highest seq of `topic` delivered on this node (0 if none).
    func deliveredSeq(_ topic: String) -> Int64
    /// Every topic this node knows, with its highest delivered seq.
    func deliveredSeqs() -> [String: Int64]
    /// The highest seq of each topic in the shared store (to re-seed a broker that lost its state).
    func storedSeqs() throws -> [String: Int64]
    /// Delivers announced messages, in seq order per topic with no gaps after ``deliveredSeq(_:)``.
    func deliver(_ messages: [StoredMessage])
}
