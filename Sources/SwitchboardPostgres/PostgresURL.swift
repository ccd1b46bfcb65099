import Foundation
import PostgresNIO

/// Where the store lives: `postgres://user[:password]@host[:port]/database[?sslmode=disable&application_name=…]`,
/// as libpq and most tools write it (also `postgresql://`).
struct PostgresURL {
    var host: String
    var port: Int
    var username: String
    var password: String?
    var database: String
    var applicationName: String?
    var connectTimeoutSeconds: Int64 = 10

    /// `host:port`, for messages (never the password).
    var endpoint: String { self.host.contains(":") ? "[\(self.host)]:\(self.port)" : "\(self.host):\(self.port)" }

    static func isPostgresURL(_ string: String) -> Bool {
        let lowered = string.lowercased()
        return lowered.hasPrefix("postgres://") || lowered.hasPrefix("postgresql://")
    }

    init(_ string: String) throws {
        guard Self.isPostgresURL(string), let url = URLComponents(string: string) else {
            throw Self.bad(string, "expected postgres://user[:password]@host[:port]/database")
        }
        guard let user = url.user, !user.isEmpty else { throw Self.bad(string, "no user name (postgres://USER@host/database)") }
        guard var host = url.host, !host.isEmpty else { throw Self.bad(string, "no host (postgres://user@HOST/database)") }
        // Foundation keeps the brackets of an IPv6 literal on some platforms.
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        let port = url.port ?? 5432
        guard (1...65535).contains(port) else { throw Self.bad(string, "the port must be 1…65535") }
        let path = url.path.hasPrefix("/") ? String(url.path.dropFirst()) : url.path
        guard !path.contains("/") else { throw Self.bad(string, "the path must be just the database name") }
        self.host = host
        self.port = port
        self.username = user
        self.password = url.password
        // As libpq: the database defaults to the user's name.
        self.database = path.isEmpty ? user : path
        for item in url.queryItems ?? [] {
            switch (item.name, item.value ?? "") {
            case ("sslmode", "disable"), ("sslmode", "allow"), ("sslmode", "prefer"):
                // Without TLS, as libpq does when the server does not offer it.
                continue
            case ("sslmode", let mode):
                throw Self.bad(string, "sslmode=\(mode) needs TLS, which this store does not speak yet (use sslmode=disable)")
            case ("application_name", let name):
                self.applicationName = name
            case ("connect_timeout", let value):
                guard let seconds = Int64(value), seconds > 0 else { throw Self.bad(string, "connect_timeout must be whole seconds") }
                self.connectTimeoutSeconds = seconds
            case (let name, _):
                throw Self.bad(string, "unknown parameter \(name) (known: sslmode, application_name, connect_timeout)")
            }
        }
    }

    var configuration: PostgresConnection.Configuration {
        var configuration = PostgresConnection.Configuration(
            host: self.host, port: self.port, username: self.username, password: self.password, database: self.database, tls: .disable)
        configuration.options.connectTimeout = .seconds(self.connectTimeoutSeconds)
        if let applicationName = self.applicationName {
            configuration.options.additionalStartupParameters.append(("application_name", applicationName))
        }
        return configuration
    }

    /// Says what is wrong with the URL without repeating a password that may be in it.
    private static func bad(_ string: String, _ problem: String) -> PostgresStoreError {
        var shown = string
        if let components = URLComponents(string: string), components.password != nil {
            var redacted = components
            redacted.password = "…"
            shown = redacted.string ?? "the store URL"
        }
        return PostgresStoreError(.badURL, "bad PostgreSQL URL \(shown): \(problem)")
    }
}
