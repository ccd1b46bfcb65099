/// Redis key and channel names of the cluster.
///
/// Topics are spread over a fixed number of shards; every key and the channel
/// of one shard carry the same hash tag (`{3}`), so one shard lives in one
/// Redis Cluster slot and its script and sharded pub/sub (SPUBLISH) stay on one
/// Redis node when the cluster grows.
struct ClusterKeys: Sendable {
    /// Every node must agree on this: it decides which channel carries a topic.
    static let shardCount = 16
    let prefix: String

    init(prefix: String = "sb") {
        self.prefix = prefix
    }

    func shard(of topic: String) -> Int {
        // FNV-1a: stable across processes and versions (Swift's hashValue is seeded per process).
        var hash: UInt32 = 2_166_136_261
        for byte in topic.utf8 {
            hash ^= UInt32(byte)
            hash = hash &* 16_777_619
        }
        return Int(hash % UInt32(Self.shardCount))
    }

    func seqKey(_ topic: String) -> String { "\(self.prefix):{\(self.shard(of: topic))}:seq:\(topic)" }
    func logKey(_ topic: String) -> String { "\(self.prefix):{\(self.shard(of: topic))}:log:\(topic)" }
    func topicsKey(shard: Int) -> String { "\(self.prefix):{\(shard)}:topics" }
    func topicsKey(_ topic: String) -> String { self.topicsKey(shard: self.shard(of: topic)) }
    func channel(shard: Int) -> String { "\(self.prefix):{\(shard)}:messages" }
    func channel(_ topic: String) -> String { self.channel(shard: self.shard(of: topic)) }
    var channels: [String] { (0..<Self.shardCount).map { self.channel(shard: $0) } }
}
