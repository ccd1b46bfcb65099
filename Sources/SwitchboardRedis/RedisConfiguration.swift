/// Where and how to connect to Redis.
public struct RedisConfiguration: Sendable {
    /// Default: `127.0.0.1`.
    public var host: String
    /// Default: 6379.
    public var port: Int
    /// ACL user for `AUTH user password` (Redis 6+); nil or empty sends `AUTH password`. Default: nil.
    public var username: String?
    /// Sent with AUTH after every connect; nil sends no AUTH. Default: nil.
    public var password: String?
    /// SELECTed after every connect; nil or 0 sends no SELECT. Default: nil.
    public var database: Int?
    /// How long a TCP connect may take. Default: 2 s.
    public var connectTimeout: Duration = .seconds(2)
    /// How long a command may wait for its reply; then it fails and the connection is reopened. Default: 2 s.
    public var commandTimeout: Duration = .seconds(2)
    /// The first reconnect delay, doubled after each failed attempt… Default: 50 ms.
    public var minBackoff: Duration = .milliseconds(50)
    /// …up to this. Default: 2 s.
    public var maxBackoff: Duration = .seconds(2)

    public init(host: String = "127.0.0.1", port: Int = 6379) {
        self.host = host
        self.port = port
    }
}
