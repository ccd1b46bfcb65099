import Crypto

/// A Lua script sent by hash (EVALSHA); `RedisClient.evalsha` loads it when Redis does not know it.
public struct RedisScript: Sendable {
    public let source: String
    /// Lower-case hex SHA-1 of the source, as Redis names scripts.
    public let sha1: String

    public init(_ source: String) {
        self.source = source
        self.sha1 = Insecure.SHA1.hash(data: Array(source.utf8)).map { byte in
            let hex = String(byte, radix: 16)
            return byte < 16 ? "0" + hex : hex
        }.joined()
    }
}
