import Logging
import NIOCore
import SwitchboardControl
import SwitchboardRedis

/// Source leases in Redis: `SET NX PX` to take one, a compare-and-expire script
/// to renew it, compare-and-delete to give it up. A node that dies stops
/// renewing; after ``ttl`` another node takes its sources over.
struct ClusterLeases: SourceLeases {
    let client: RedisClient
    let keys: ClusterKeys
    let nodeID: String
    let logger: Logger
    let renewInterval = Duration.seconds(2)
    /// Three missed renewals.
    let ttl = Duration.seconds(6)

    static let renew = RedisScript(
        """
        if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
        return redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) and 1 or 0
        """)
    static let give = RedisScript(
        """
        if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
        return 0
        """)

    func key(_ name: String) -> String { "\(self.keys.prefix):lease:source:\(name)" }

    func hold(_ name: String) async -> Bool {
        let ms = self.ttl.components.seconds * 1000
        do {
            let reply = try await self.client.evalsha(Self.renew, keys: [RESPArg(self.key(name))], args: [RESPArg(self.nodeID), RESPArg(ms)]).get()
            return reply.int == 1
        } catch {
            self.logger.warning("Cannot reach Redis for a source lease", metadata: ["source": "\(name)", "error.type": "\(error)"])
            return false
        }
    }

    func release(_ name: String) async {
        _ = try? await self.client.evalsha(Self.give, keys: [RESPArg(self.key(name))], args: [RESPArg(self.nodeID)]).get()
    }
}
