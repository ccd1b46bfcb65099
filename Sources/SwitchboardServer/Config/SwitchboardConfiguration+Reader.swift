import Foundation
public import Logging
import SwitchboardControl
import SwitchboardCore
import SwitchboardStore
import Yams

extension SwitchboardConfiguration {
    /// The settings every source may give, as `key: what it is`. Environment
    /// variables are `SWITCHBOARD_` + the key in capitals (`SWITCHBOARD_HTTP`).
    public static let keys: [(key: String, help: String)] = [
        ("http", "HTTP/WebSocket listen address HOST:PORT (default 127.0.0.1:8080)"),
        ("tcp", "raw TCP listen address HOST:PORT, or 'off' (default 127.0.0.1:7000)"),
        ("mqtt", "MQTT listen address HOST:PORT, or 'off' (default 127.0.0.1:1883)"),
        ("data", "directory of the SQLite file (default ./data)"),
        ("store", "postgres://user[:password]@host:port/database to keep messages in PostgreSQL instead of SQLite (default: SQLite in data)"),
        ("broker", "redis://[:password@]host:port[/db]: run as one node of a cluster sharing this Redis; needs a postgres store (default: none, one node)"),
        ("max_message_bytes", "largest message data in bytes (default 65536)"),
        ("max_connections", "open WebSocket + TCP connections (default 20000)"),
        ("ws_ping_interval", "seconds between pings to each WebSocket; silent peers are closed after one more; 0 = off (default 30)"),
        ("max_connections_per_ip", "open connections from one IP address; 0 = no limit (default 0)"),
        ("max_subscriptions", "subscriptions per connection (default 1000)"),
        ("max_line_bytes", "longest raw TCP line (default 262144)"),
        ("max_body_bytes", "largest HTTP body (default 16777216)"),
        ("publish_rate", "publishes a second per connection, token bucket; 0 = unlimited (default 0)"),
        ("publish_rate_per_token", "publishes a second per token or user, all connections together; 0 = unlimited (default 0)"),
        ("window_size", "recent messages kept in memory per topic (default 1024)"),
        ("outbound_queue_messages", "outbound queue per connection, messages (default 4096)"),
        ("outbound_queue_bytes", "outbound queue per connection, bytes (default 8388608)"),
        ("retain_age", "default retention age: 30d, 12h, 90m, 3600s or 'forever' (default 30d)"),
        ("retain_count", "default messages kept per topic, or 'unlimited' (default 1000000)"),
        ("retention_interval", "seconds between retention passes (default 60)"),
        ("stats_interval", "how often $sys/stats is published: 5s, 1s, 500ms (default 5s)"),
        ("durability", "normal (no fsync per commit) or full (default normal)"),
        ("log_level", "trace, debug, info, notice, warning, error or critical (default info)"),
        ("allow_exec", "allow exec sources, which run programs (default false)"),
        ("demo", "create and start the demo sources (default false)"),
        ("allow_anonymous", "listen on a non-loopback address without tokens or accounts (default false)"),
        ("jwt_secret", "HS256 secret (≥ 32 bytes) of JWTs accepted as tokens (default none: no JWTs)"),
        ("session_ttl", "how long a dashboard log-in lasts, e.g. 12h (default 12h)"),
        ("tls_cert", "PEM certificate chain; with tls_key, HTTP/WebSocket and TCP speak TLS (default none)"),
        ("tls_key", "PEM private key of tls_cert (default none)"),
        ("allowed_origins", "comma-separated origins besides the hub's own allowed to open cookie WebSockets (default none)"),
    ]

    /// Reads the configuration: `file` (YAML), then `environment`, then `flags` — later wins.
    public static func load(file: String?, environment: [String: String], flags: [String: String]) throws -> SwitchboardConfiguration {
        var configuration = SwitchboardConfiguration()
        var settings: [String: (value: String, source: String)] = [:]
        var fileRules: [Any] = []
        var fileSources: [SourceDefinition] = []
        if let file {
            let text: String
            do {
                text = try String(contentsOfFile: file, encoding: .utf8)
            } catch {
                throw ConfigurationError("cannot read config file \(file): \(error.localizedDescription)")
            }
            let parsed: Any?
            do {
                parsed = try Yams.load(yaml: text)
            } catch {
                throw ConfigurationError("config file \(file) is not valid YAML: \(error)")
            }
            guard let root = parsed as? [String: Any] else { throw ConfigurationError("config file \(file) must be a YAML mapping") }
            for (key, value) in root {
                if key == "retention" {
                    guard let rules = value as? [Any] else { throw ConfigurationError("\(file): retention must be a list") }
                    fileRules = rules
                    continue
                }
                if key == "sources" {
                    fileSources = try Self.sourceDefinitions(value, file: file)
                    continue
                }
                guard Self.keys.contains(where: { $0.key == key }) else {
                    throw ConfigurationError("\(file): unknown setting '\(key)'; known: \(Self.keys.map(\.key).joined(separator: ", ")), retention, sources")
                }
                settings[key] = ("\(value)", "config file \(file)")
            }
        }
        for (key, _) in Self.keys {
            if let value = environment["SWITCHBOARD_" + key.uppercased()] {
                settings[key] = (value, "SWITCHBOARD_\(key.uppercased())")
            }
        }
        for (key, value) in flags { settings[key] = (value, "--\(key.replacingOccurrences(of: "_", with: "-"))") }
        for (key, setting) in settings {
            do {
                try configuration.apply(key: key, value: setting.value)
            } catch let error as ConfigurationError {
                throw ConfigurationError("\(setting.source): \(error.description)")
            }
        }
        // A rule's omitted age or count falls back to the defaults set above.
        let defaults = configuration.hub
        configuration.hub.retention = try fileRules.enumerated().map { index, rule in
            try Self.retentionRule(rule, index: index, defaults: defaults)
        }
        configuration.control.sources = fileSources
        if (configuration.security.tlsCertificate == nil) != (configuration.security.tlsKey == nil) {
            throw ConfigurationError("TLS needs both tls_cert and tls_key (PEM files)")
        }
        if configuration.brokerURL != nil && configuration.storeURL == nil {
            throw ConfigurationError("a cluster node (broker) needs a store every node shares: set store to a postgres:// URL")
        }
        return configuration
    }

    mutating func apply(key: String, value: String) throws {
        switch key {
        case "http": self.http = try HostPort(parsing: value)
        case "tcp": self.tcp = value.lowercased() == "off" ? nil : try HostPort(parsing: value)
        case "mqtt": self.mqtt = value.lowercased() == "off" ? nil : try HostPort(parsing: value)
        case "data": self.dataDirectory = value
        case "store":
            guard value.hasPrefix("postgres://") || value.hasPrefix("postgresql://") else {
                throw ConfigurationError("store must be a postgres:// URL (SQLite, the default, needs no setting), not '\(value)'")
            }
            self.storeURL = value
        case "broker":
            guard value.hasPrefix("redis://") else { throw ConfigurationError("broker must be a redis:// URL, not '\(value)'") }
            self.brokerURL = value
        case "max_message_bytes": self.hub.maxMessageBytes = try Self.positive(value, key)
        case "max_connections": self.limits.maxConnections = try Self.positive(value, key)
        case "ws_ping_interval": self.limits.webSocketPingIntervalSeconds = try Self.positive(value, key, allowZero: true)
        case "max_connections_per_ip": self.limits.maxConnectionsPerAddress = try Self.positive(value, key, allowZero: true)
        case "max_subscriptions": self.limits.maxSubscriptionsPerConnection = try Self.positive(value, key)
        case "max_line_bytes": self.limits.maxLineBytes = try Self.positive(value, key)
        case "max_body_bytes": self.limits.maxBodyBytes = try Self.positive(value, key)
        case "publish_rate": self.limits.publishRatePerConnection = try Self.positive(value, key, allowZero: true)
        case "publish_rate_per_token": self.limits.publishRatePerCredential = try Self.positive(value, key, allowZero: true)
        case "window_size": self.hub.windowSize = try Self.positive(value, key, allowZero: true)
        case "outbound_queue_messages": self.hub.outbound.maxMessages = try Self.positive(value, key)
        case "outbound_queue_bytes": self.hub.outbound.maxBytes = try Self.positive(value, key)
        case "retain_age": self.hub.retainAgeMs = try Self.duration(value)
        case "retain_count": self.hub.retainCount = try Self.count(value)
        case "retention_interval": self.retentionIntervalSeconds = try Self.positive(value, key)
        case "stats_interval":
            guard let ms = try Self.duration(value), ms >= 100 else { throw ConfigurationError("stats_interval must be at least 100ms, not '\(value)'") }
            self.statsIntervalMs = Int(ms)
        case "durability":
            guard let durability = SQLiteStore.Durability(rawValue: value) else { throw ConfigurationError("durability must be normal or full, not '\(value)'") }
            self.durability = durability
        case "log_level":
            guard let level = Logger.Level(rawValue: value) else { throw ConfigurationError("unknown log level '\(value)'") }
            self.logLevel = level
        case "allow_exec": self.control.allowExec = try Self.flag(value, key)
        case "demo": self.control.demo = try Self.flag(value, key)
        case "allow_anonymous": self.security.allowAnonymous = try Self.flag(value, key)
        case "jwt_secret":
            guard value.utf8.count >= 32 else { throw ConfigurationError("jwt_secret must have at least 32 bytes (HS256 needs a long random secret)") }
            self.security.jwtSecret = value
        case "session_ttl":
            guard let ms = try Self.duration(value), ms >= 60_000 else { throw ConfigurationError("session_ttl must be at least 1m, not '\(value)'") }
            self.security.sessionTTLSeconds = Int(ms / 1000)
        case "tls_cert": self.security.tlsCertificate = value
        case "tls_key": self.security.tlsKey = value
        case "allowed_origins":
            self.security.allowedOrigins = value.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        default: throw ConfigurationError("unknown setting '\(key)'")
        }
    }

    static func positive(_ value: String, _ key: String, allowZero: Bool = false) throws -> Int {
        guard let number = Int(value.replacingOccurrences(of: "_", with: "")), number > 0 || (allowZero && number == 0) else {
            throw ConfigurationError("\(key) must be a whole number \(allowZero ? "≥ 0" : "> 0"), not '\(value)'")
        }
        return number
    }

    /// `30d`, `12h`, `90m`, `3600s`, `500ms`, or `forever`; milliseconds, `nil` for forever.
    public static func duration(_ value: String) throws -> Int64? {
        let text = value.trimmingCharacters(in: .whitespaces).lowercased()
        if text == "forever" || text == "off" || text == "0" { return nil }
        let units: [(String, Int64)] = [("ms", 1), ("s", 1000), ("m", 60_000), ("h", 3_600_000), ("d", 86_400_000), ("w", 604_800_000)]
        for (suffix, factor) in units where text.hasSuffix(suffix) {
            if let number = Double(text.dropLast(suffix.count)), number > 0 { return Int64(number * Double(factor)) }
        }
        throw ConfigurationError("'\(value)' is not a duration such as 30d, 12h, 90m or 3600s (or 'forever')")
    }

    static func count(_ value: String) throws -> Int64? {
        let text = value.lowercased()
        if text == "unlimited" || text == "0" { return nil }
        guard let number = Int64(text.replacingOccurrences(of: "_", with: "")), number > 0 else {
            throw ConfigurationError("'\(value)' is not a message count (or 'unlimited')")
        }
        return number
    }

    static func retentionRule(_ value: Any, index: Int, defaults: Hub.Configuration) throws -> RetentionRule {
        guard let rule = value as? [String: Any], let pattern = rule["pattern"].map({ "\($0)" }) else {
            throw ConfigurationError("retention[\(index)] needs a pattern")
        }
        let parsed: TopicPattern
        do {
            parsed = try TopicPattern(validating: pattern)
        } catch {
            throw ConfigurationError("retention[\(index)]: \(error.message)")
        }
        return RetentionRule(
            pattern: parsed,
            maxAgeMs: try rule["age"].map { try Self.duration("\($0)") } ?? defaults.retainAgeMs,
            maxCount: try rule["count"].map { try Self.count("\($0)") } ?? defaults.retainCount
        )
    }
}
