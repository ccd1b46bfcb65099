/// Which node of a cluster runs which source: a source runs on exactly one
/// node, the one holding its lease (`ClusterLeases` in the server keeps them in
/// Redis with an expiry, so a dead node's sources move to a live one).
public protocol SourceLeases: Sendable {
    /// Takes or renews the lease on source `name` for this node; `false` if another node holds it or leases cannot be reached.
    func hold(_ name: String) async -> Bool
    /// Gives the lease up (the source stopped here).
    func release(_ name: String) async
    /// How often leases must be renewed; a node that misses a few renewals loses its sources.
    var renewInterval: Duration { get }
}
