public import Logging
public import SwitchboardControl
public import SwitchboardCore
public import SwitchboardStore

/// Everything `switchboard serve` can be told. Every field has a documented default;
/// ``SwitchboardConfiguration/load(file:environment:flags:)`` reads them from a YAML
/// file, `SWITCHBOARD_*` environment variables and flags, in rising precedence.
public struct SwitchboardConfiguration: Sendable {
    /// HTTP and WebSocket listener. Default `127.0.0.1:8080`; port 0 picks a free port.
    public var http = HostPort(host: "127.0.0.1", port: 8080)
    /// Raw TCP line listener. Default `127.0.0.1:7000`; `nil` (`off`) disables it.
    public var tcp: HostPort? = HostPort(host: "127.0.0.1", port: 7000)
    /// MQTT 3.1.1 listener. Default `127.0.0.1:1883`; `nil` (`off`) disables it. MQTT over WebSocket is on the HTTP port at `/mqtt`.
    public var mqtt: HostPort? = HostPort(host: "127.0.0.1", port: 1883)
    /// Directory of the SQLite file. Default `./data`.
    public var dataDirectory = "./data"
    /// `postgres://…` keeps messages and records in PostgreSQL; `nil` (default) uses SQLite in ``dataDirectory``.
    public var storeURL: String?
    /// `redis://…` makes this hub one node of a cluster sharing that Redis (needs ``storeURL``). Default `nil`: one node.
    public var brokerURL: String?
    /// Hub limits: message size, window, retention, outbound queues.
    public var hub = Hub.Configuration()
    /// Connection limits.
    public var limits = ServerLimits()
    /// `normal` (no fsync per commit; survives `kill -9`) or `full` (fsync per commit). Default `normal`.
    public var durability = SQLiteStore.Durability.normal
    /// Seconds between retention passes. Default 60.
    public var retentionIntervalSeconds = 60
    /// Milliseconds between `$sys/stats` messages. Default 5000.
    public var statsIntervalMs = 5000
    /// Log level. Default `info`.
    public var logLevel = Logger.Level.info
    /// Sources, `exec` permission and the demo.
    public var control = ControlConfiguration()
    /// Who may connect: anonymous access, JWTs, sessions, origins.
    public var security = SecurityConfiguration()

    public init() {}
}

/// A listen address.
public struct HostPort: Sendable, Equatable, CustomStringConvertible {
    public var host: String
    public var port: Int

    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// Parses `host:port`, `:port` or `[v6]:port`.
    public init(parsing text: String) throws(ConfigurationError) {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]), (0...65535).contains(port) else {
            throw ConfigurationError("'\(text)' is not HOST:PORT")
        }
        var host = String(text[..<colon])
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        self.host = host.isEmpty ? "127.0.0.1" : host
        self.port = port
    }

    public var description: String { self.host.contains(":") ? "[\(self.host)]:\(self.port)" : "\(self.host):\(self.port)" }
}

/// Limits of the network edge. Every field has a documented default.
public struct ServerLimits: Sendable {
    /// Open WebSocket and TCP connections, together. Default 20,000.
    public var maxConnections = 20_000
    /// Seconds between the hub's pings on a WebSocket; a peer silent for a whole interval after one is closed. 0 = off. Default 30.
    public var webSocketPingIntervalSeconds = 30
    /// Open WebSocket, TCP and MQTT connections from one IP address; 0 = no limit. Default 0.
    public var maxConnectionsPerAddress = 0
    /// Patterns one connection may subscribe to. Default 1,000.
    public var maxSubscriptionsPerConnection = 1000
    /// Longest raw TCP line, in bytes. Default 256 KiB.
    public var maxLineBytes = 256 * 1024
    /// Largest HTTP request body (an NDJSON batch), in bytes. Default 16 MiB.
    public var maxBodyBytes = 16 * 1024 * 1024
    /// Largest WebSocket frame read, in bytes; larger frames close the connection (1009). Default 1 MiB.
    public var maxFrameBytes = 1024 * 1024
    /// Publishes a second per WebSocket or TCP connection (token bucket, burst = rate); 0 = unlimited. Default 0.
    public var publishRatePerConnection = 0
    /// Publishes a second per token or user, over all its connections and HTTP requests; 0 = unlimited. Default 0.
    public var publishRatePerCredential = 0

    public init() {}
}

/// Authentication settings. Tokens and accounts themselves live in the data
/// directory (`switchboard token …`, `switchboard user …`).
public struct SecurityConfiguration: Sendable {
    /// Listen on a non-loopback address without any token or account. Default `false`: the hub refuses to start.
    public var allowAnonymous = false
    /// The HS256 secret of JWTs from an existing backend; `nil` (default) accepts no JWTs.
    public var jwtSecret: String?
    /// How long a dashboard log-in lasts. Default 12 hours.
    public var sessionTTLSeconds = 12 * 3600
    /// Origins (`https://dash.example.org`) besides the hub's own whose pages may open WebSockets with a session cookie.
    public var allowedOrigins: [String] = []
    /// PEM certificate chain: with ``tlsKey``, HTTP/WebSocket and the TCP port speak TLS (re-read on SIGHUP). Default none.
    public var tlsCertificate: String?
    /// PEM private key of ``tlsCertificate``.
    public var tlsKey: String?

    public init() {}
}

/// A configuration value that cannot be used, with what is wrong in words.
public struct ConfigurationError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
