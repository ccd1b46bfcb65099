import ArgumentParser
import Foundation
import Logging
import Metrics
import Prometheus
import ServiceLifecycle
import UnixSignals
import SwitchboardServer

/// `switchboard serve`: runs the hub until SIGTERM or SIGINT.
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the hub.",
        discussion: """
            Settings come from the config file (YAML), then SWITCHBOARD_* environment variables, \
            then these flags; later wins. Keys: \(SwitchboardConfiguration.keys.map(\.key).joined(separator: ", ")).
            """
    )

    @Option(help: "HTTP/WebSocket listen address HOST:PORT (port 0: any free port). Default 127.0.0.1:8080.")
    var http: String?
    @Option(help: "Raw TCP line listen address HOST:PORT, or 'off'. Default 127.0.0.1:7000.")
    var tcp: String?
    @Option(help: "MQTT 3.1.1 listen address HOST:PORT, or 'off'. Default 127.0.0.1:1883.")
    var mqtt: String?
    @Option(help: "Directory of the SQLite file. Default ./data.")
    var data: String?
    @Option(help: "postgres://user@host:port/db: keep messages in PostgreSQL instead of SQLite.")
    var store: String?
    @Option(help: "redis://host:port: run as one node of a cluster sharing this Redis (needs --store postgres://…).")
    var broker: String?
    @Option(help: "YAML config file.")
    var config: String?
    @Option(help: "Default retention age (30d, 12h, forever). Default 30d.")
    var retainAge: String?
    @Option(help: "Default messages kept per topic (or unlimited). Default 1000000.")
    var retainCount: String?
    @Option(help: "Largest message data in bytes. Default 65536.")
    var maxMessageBytes: String?
    @Option(help: "trace, debug, info, notice, warning, error or critical. Default info.")
    var logLevel: String?
    @Flag(help: "Create (if missing) and start simulated sources (demo/temperature, demo/clock, demo/accel, demo/wave).")
    var demo = false
    @Flag(help: "Allow exec sources, which run external programs.")
    var allowExec = false

    @Option(help: "PEM certificate chain: serve https/wss and TLS on the TCP port (with --tls-key; re-read on SIGHUP).")
    var tlsCert: String?

    @Option(help: "PEM private key of --tls-cert.")
    var tlsKey: String?

    @Flag(help: "Listen on a non-loopback address even with no token or account (anyone who can reach it may do anything).")
    var allowAnonymous = false

    func run() async throws {
        EventLoopSizing.fitToCPUAffinity()
        var flags: [String: String] = [:]
        flags["http"] = self.http
        flags["tcp"] = self.tcp
        flags["mqtt"] = self.mqtt
        flags["data"] = self.data
        flags["store"] = self.store
        flags["broker"] = self.broker
        flags["retain_age"] = self.retainAge
        flags["retain_count"] = self.retainCount
        flags["max_message_bytes"] = self.maxMessageBytes
        flags["log_level"] = self.logLevel
        if self.demo { flags["demo"] = "true" }
        if self.allowExec { flags["allow_exec"] = "true" }
        if self.allowAnonymous { flags["allow_anonymous"] = "true" }
        flags["tls_cert"] = self.tlsCert
        flags["tls_key"] = self.tlsKey
        let environment = ProcessInfo.processInfo.environment
        let configuration: SwitchboardConfiguration
        do {
            configuration = try SwitchboardConfiguration.load(
                file: self.config ?? environment["SWITCHBOARD_CONFIG"], environment: environment, flags: flags)
        } catch let error as ConfigurationError {
            throw ValidationError(error.description)
        }
        let level = configuration.logLevel
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let prometheus = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: prometheus))
        let logger = Logger(label: "switchboard")
        let app = try SwitchboardApp(configuration: configuration, logger: logger, prometheus: prometheus)
        logger.info("Store opened", metadata: ["store": "\(configuration.storeURL.map(Self.redacted) ?? configuration.dataDirectory)"])
        let group = ServiceGroup(
            configuration: .init(services: [.init(service: app)], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
        logger.info("Stopped")
    }

    /// A URL without its password, for logs.
    static func redacted(_ url: String) -> String {
        url.replacing(/:[^:@\/]*@/, with: ":***@")
    }
}
