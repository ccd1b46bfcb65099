import Foundation
import Hummingbird
import HummingbirdCore
public import Logging
import Metrics
import NIOCore
import NIOPosix
import Prometheus
public import ServiceLifecycle
public import SwitchboardAuth
public import SwitchboardControl
public import SwitchboardCore
import SwitchboardPostgres
import SwitchboardStore
import SwitchboardWeb
import Synchronization

/// The whole hub as one service: store, hub, HTTP/WebSocket server, TCP
/// listener and retention, started together and stopped in order.
///
/// Shutdown order (the reverse of start): close WebSocket connections with
/// 1001 and TCP connections, stop the HTTP and TCP listeners, then drain the
/// committer and close the store — so everything acknowledged is on disk.
///
/// ```swift
/// let app = try SwitchboardApp(configuration: configuration, logger: logger)
/// try await app.run()   // until SIGTERM/SIGINT or triggerGracefulShutdown()
/// ```
public final class SwitchboardApp: Service {
    public let hub: Hub
    public let control: ControlPlane
    public let configuration: SwitchboardConfiguration
    public let authenticator: Authenticator
    /// The certificate when the hub speaks TLS.
    let tls: TLSCertificates?
    let rateLimiter: PublishRateLimiter
    let logger: Logger
    let registry: ConnectionRegistry
    let prometheus: PrometheusCollectorRegistry
    /// Persistent MQTT sessions and which connection holds each client id.
    let mqttSessions: MQTTSessions
    /// Devices across the cluster's nodes; `nil` on a single node.
    let presence: ClusterPresence?
    /// Which node runs which source; `nil` on a single node.
    let leases: ClusterLeases?
    private let bound = Mutex<(http: Int?, tcp: Int?, mqtt: Int?, waiters: [CheckedContinuation<Void, Never>])>((nil, nil, nil, []))

    /// The addresses the listeners bound, known once they are listening (port 0 becomes a real port).
    public struct Listening: Sendable {
        public let httpPort: Int
        public let tcpPort: Int?
        public let mqttPort: Int?
    }

    /// Opens the store in `configuration.dataDirectory` and prepares every service.
    public init(configuration: SwitchboardConfiguration, logger: Logger, prometheus: PrometheusCollectorRegistry? = nil) throws {
        self.configuration = configuration
        self.logger = logger
        try FileManager.default.createDirectory(atPath: configuration.dataDirectory, withIntermediateDirectories: true)
        let store: any Store
        if let url = configuration.storeURL {
            store = try PostgresStore(url: url, logger: logger)
        } else {
            store = try SQLiteStore(directory: configuration.dataDirectory, durability: configuration.durability, logger: logger)
        }
        self.authenticator = try Authenticator(
            store: store, jwt: configuration.security.jwtSecret.map(JWTVerifier.init(secret:)),
            sessionTTL: .seconds(configuration.security.sessionTTLSeconds), logger: logger)
        try Self.checkExposure(configuration, authenticator: self.authenticator)
        self.rateLimiter = PublishRateLimiter(
            perConnection: configuration.limits.publishRatePerConnection, perCredential: configuration.limits.publishRatePerCredential)
        if let certificate = configuration.security.tlsCertificate, let key = configuration.security.tlsKey {
            self.tls = try TLSCertificates(certificatePath: certificate, keyPath: key)
        } else {
            self.tls = nil
        }
        let broker = try configuration.brokerURL.map { try RedisBroker(url: $0, logger: logger) }
        self.hub = try Hub(store: store, broker: broker, configuration: configuration.hub, logger: logger)
        var control = configuration.control
        control.clusterNode = broker != nil
        self.control = ControlPlane(hub: self.hub, store: store, configuration: control, logger: logger)
        if let broker {
            let presence = ClusterPresence(
                client: broker.client, configuration: broker.configuration, control: self.control, keys: broker.keys, logger: logger)
            self.control.devices.attach(presence)
            self.presence = presence
            self.leases = ClusterLeases(client: broker.client, keys: broker.keys, nodeID: presence.nodeID, logger: logger)
        } else {
            self.presence = nil
            self.leases = nil
        }
        self.registry = ConnectionRegistry(
            maxConnections: configuration.limits.maxConnections, maxPerAddress: configuration.limits.maxConnectionsPerAddress)
        self.mqttSessions = MQTTSessions(store: store, logger: logger)
        self.prometheus = prometheus ?? PrometheusCollectorRegistry()
    }

    /// Waits until every listener is bound.
    public func listening() async -> Listening {
        await withCheckedContinuation { continuation in
            let ready = self.bound.withLock { state -> Bool in
                if self.isReady(state) { return true }
                state.waiters.append(continuation)
                return false
            }
            if ready { continuation.resume() }
        }
        return self.bound.withLock { Listening(httpPort: $0.http!, tcpPort: $0.tcp, mqttPort: $0.mqtt) }
    }

    private func isReady(_ state: (http: Int?, tcp: Int?, mqtt: Int?, waiters: [CheckedContinuation<Void, Never>])) -> Bool {
        state.http != nil && (self.configuration.tcp == nil || state.tcp != nil) && (self.configuration.mqtt == nil || state.mqtt != nil)
    }

    private func markBound(http: Int? = nil, tcp: Int? = nil, mqtt: Int? = nil) {
        let waiters = self.bound.withLock { state -> [CheckedContinuation<Void, Never>] in
            if let http { state.http = http }
            if let tcp { state.tcp = tcp }
            if let mqtt { state.mqtt = mqtt }
            guard self.isReady(state) else { return [] }
            defer { state.waiters.removeAll() }
            return state.waiters
        }
        for waiter in waiters { waiter.resume() }
    }

    public func run() async throws {
        let eventLoopGroup = MultiThreadedEventLoopGroup.singleton
        let mqtt = MQTTEndpoint(
            hub: self.hub, control: self.control, sessions: self.mqttSessions, registry: self.registry, limits: self.configuration.limits,
            access: .authenticating(with: self.authenticator), logger: self.logger)
        let endpoints = WebSocketEndpoints(
            hub: self.hub, control: self.control, registry: self.registry, limits: self.configuration.limits, mqtt: mqtt,
            authenticator: self.authenticator, rateLimiter: self.rateLimiter, allowedOrigins: self.configuration.security.allowedOrigins)
        let http1 = HTTP1Channel.Configuration(idleTimeout: .seconds(300))
        let dates = HTTPDateHeader()
        let responder = RouterChannelResponder.make(self.buildRouter().buildResponder(), dates: dates, serverName: "switchboard", logger: self.logger)
        let hubChannel = HubChannel(responder: responder, webSockets: endpoints, http1: http1)
        let eventLoops = Array(eventLoopGroup.makeIterator()).count
        let onHTTPBound: @Sendable (Int) -> Void = { [self] port in
            self.logger.info(
                "HTTP/WebSocket listener bound",
                metadata: ["address": "\(self.configuration.http.host):\(port)", "tls": "\(self.tls != nil)", "event_loops": "\(eventLoops)"])
            self.markBound(http: port)
        }
        let (httpHost, httpPort) = (self.configuration.http.host, self.configuration.http.port)
        let http: any Service =
            if let tls = self.tls {
                HTTPListener(
                    host: httpHost, port: httpPort, setup: TLSChildChannel(base: hubChannel, certificates: tls), eventLoopGroup: eventLoopGroup,
                    logger: self.logger, onBound: onHTTPBound)
            } else {
                HTTPListener(host: httpHost, port: httpPort, setup: hubChannel, eventLoopGroup: eventLoopGroup, logger: self.logger, onBound: onHTTPBound)
            }
        var services: [any Service] = [
            HubService(hub: self.hub),
            // After the hub (so stopped before it): sources publish until they are stopped.
            ControlService(control: self.control, presence: self.presence, leases: self.leases),
            RetentionService(hub: self.hub, interval: .seconds(self.configuration.retentionIntervalSeconds), logger: self.logger),
            CredentialReloader(authenticator: self.authenticator),
            StatsPublisher(hub: self.hub, interval: .milliseconds(self.configuration.statsIntervalMs), logger: self.logger),
        ]
        if let tls = self.tls { services.append(TLSReloader(certificates: tls, logger: self.logger)) }
        if let tcp = self.configuration.tcp {
            services.append(
                TCPLineServer(
                    address: tcp, hub: self.hub, control: self.control, registry: self.registry, maxLineBytes: self.configuration.limits.maxLineBytes,
                    authenticator: self.authenticator, rateLimiter: self.rateLimiter, tls: self.tls,
                    eventLoopGroup: eventLoopGroup, logger: self.logger, onBound: { [self] port in self.markBound(tcp: port) }))
        }
        if let address = self.configuration.mqtt {
            services.append(
                MQTTServer(address: address, endpoint: mqtt, eventLoopGroup: eventLoopGroup, onBound: { [self] port in self.markBound(mqtt: port) }))
        }
        services.append(dates)
        services.append(http)
        // Last in the list, so first to hear of a shutdown: closes connections before the listeners wait for them.
        services.append(ConnectionCloser(registry: self.registry))
        let group = ServiceGroup(
            configuration: .init(services: services.map { .init(service: $0) }, gracefulShutdownSignals: [], logger: self.logger))
        try await group.run()
    }

    func buildRouter() -> Router<SwitchboardRequestContext> {
        let router = Router(context: SwitchboardRequestContext.self)
        router.add(middleware: ErrorMiddleware())
        router.add(middleware: AuthMiddleware(authenticator: self.authenticator))
        let limits = self.configuration.limits
        let rules = AccessRules(control: self.control)
        LoginController(authenticator: self.authenticator, secureCookies: self.tls != nil).addRoutes(to: router)
        PublishController(hub: self.hub, limits: limits, rateLimiter: self.rateLimiter).addRoutes(to: router)
        TopicsController(hub: self.hub).addRoutes(to: router)
        SubscribeController(hub: self.hub, limits: limits).addRoutes(to: router)
        HealthController(hub: self.hub, registry: self.registry, prometheus: self.prometheus).addRoutes(to: router)
        DevicesController(control: self.control).addRoutes(to: router)
        SourcesController(sources: self.control.sources, rules: rules).addRoutes(to: router)
        WebController(pages: WebPages()).addRoutes(to: router)
        return router
    }
}

/// Re-reads tokens and accounts, so ones the CLI created or revoked take effect while the hub runs.
struct CredentialReloader: Service {
    let authenticator: Authenticator

    func run() async throws {
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: Authenticator.reloadInterval) }
            self.authenticator.reloadIfOlder(than: Authenticator.reloadInterval)
        }
    }
}

/// Starts the hub's committer; on shutdown drains it and closes the store.
struct HubService: Service {
    let hub: Hub

    func run() async throws {
        self.hub.start()
        try? await gracefulShutdown()
        self.hub.shutdown()
    }
}

/// Starts the control plane once the hub runs; stops its sources and timers at shutdown.
struct ControlService: Service {
    let control: ControlPlane
    let presence: ClusterPresence?
    let leases: ClusterLeases?

    func run() async throws {
        self.presence?.start()
        if let leases { await self.control.sources.attach(leases) }
        await self.control.start()
        try? await gracefulShutdown()
        await self.control.stop()
        self.presence?.stop()
    }
}

/// Applies retention at start and then every `interval`.
struct RetentionService: Service {
    let hub: Hub
    let interval: Duration
    let logger: Logger

    func run() async throws {
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            do {
                try self.hub.applyRetention()
            } catch {
                self.logger.error("Retention failed", metadata: ["error.type": "\(error)"])
            }
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: self.interval) }
        }
    }
}

/// On shutdown, closes every WebSocket (1001) and TCP connection so the listeners can stop.
struct ConnectionCloser: Service {
    let registry: ConnectionRegistry

    func run() async throws {
        try? await gracefulShutdown()
        self.registry.closeAll()
    }
}

extension SwitchboardApp {
    /// A hub reachable from other machines with no credentials at all would let anyone
    /// publish, subscribe and send commands: refuse to start unless asked to.
    static func checkExposure(_ configuration: SwitchboardConfiguration, authenticator: Authenticator) throws {
        guard !authenticator.isRequired, !configuration.security.allowAnonymous else { return }
        let exposed = [configuration.http, configuration.tcp, configuration.mqtt].compactMap { $0 }.filter { !Self.isLoopback($0.host) }
        guard let first = exposed.first else { return }
        throw ConfigurationError(
            "refusing to listen on \(first) without authentication: create a token (switchboard token create --scope …) "
                + "or an account (switchboard user add …), or pass --allow-anonymous")
    }

    static func isLoopback(_ host: String) -> Bool {
        host == "localhost" || host == "::1" || host.hasPrefix("127.")
    }
}
