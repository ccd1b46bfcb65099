import Logging
import NIOCore
import NIOWebSocket
import SwitchboardAuth
import SwitchboardControl
import SwitchboardCore

/// Everything a WebSocket connection needs, and the code that sets one up
/// after the upgrade. A class: every connection holds it, and a reference is
/// 8 bytes where a copy of these fields is hundreds.
final class WebSocketEndpoints: Sendable {
    let hub: Hub
    let control: ControlPlane
    let registry: ConnectionRegistry
    let limits: ServerLimits
    /// MQTT over WebSocket on `/mqtt`; `nil` turns that endpoint off.
    let mqtt: MQTTEndpoint?
    let authenticator: Authenticator
    let rateLimiter: PublishRateLimiter
    /// Origins (`scheme://host[:port]`) besides the hub's own that may open cookie-authenticated WebSockets.
    let allowedOrigins: [String]

    init(
        hub: Hub, control: ControlPlane, registry: ConnectionRegistry, limits: ServerLimits, mqtt: MQTTEndpoint?, authenticator: Authenticator,
        rateLimiter: PublishRateLimiter, allowedOrigins: [String]
    ) {
        self.hub = hub
        self.control = control
        self.registry = registry
        self.limits = limits
        self.mqtt = mqtt
        self.authenticator = authenticator
        self.rateLimiter = rateLimiter
        self.allowedOrigins = allowedOrigins
    }

    /// Frames up to this size are read, so a too-large `data` gets a `too_large`
    /// error and the connection stays open; larger ones close it (1009).
    var maxFrameSize: Int { max(self.limits.maxFrameBytes, self.hub.configuration.maxMessageBytes + 4096) }

    /// Browsers send cookies with cross-site WebSocket upgrades too: a session cookie counts only
    /// when the page that opened the socket is the hub's own (or a configured origin).
    func originAllowed(origin: String?, host: String?) -> Bool {
        guard let origin else { return true }  // not a browser
        if self.allowedOrigins.contains(origin) { return true }
        guard let host else { return false }
        return origin == "http://\(host)" || origin == "https://\(host)"
    }

    /// The credentials' outcome, refused when a session cookie comes from a page whose origin may not use it.
    func access(_ outcome: PresentedCredentials.Outcome, origin: String?, host: String?) -> PresentedCredentials.Outcome {
        guard case .session = outcome, !self.originAllowed(origin: origin, host: host) else { return outcome }
        return .refused(.forbidden("a session cookie from the page at \(origin ?? "?") is not accepted; add it to allowed_origins"))
    }

    func install(
        on channel: any Channel, route: WebSocketRoute, common: WebSocketRoute.Common, access: PresentedCredentials.Outcome, logger: Logger
    ) throws {
        let pipeline = channel.pipeline.syncOperations
        // Frames are already coalesced per batch; Nagle would only add delay (and stall on delayed ACKs).
        try channel.syncOptions?.setOption(.socketOption(.tcp_nodelay), value: 1)
        let encoder = try pipeline.handler(type: WebSocketFrameEncoder.self)
        let writer = FrameWriter()
        try pipeline.addHandler(writer, position: .before(encoder))
        try pipeline.addHandler(
            NIOWebSocketFrameAggregator(
                minNonFinalFragmentSize: 0,
                maxAccumulatedFrameCount: 1024,
                maxAccumulatedFrameSize: self.maxFrameSize
            ))
        try pipeline.addHandler(
            WebSocketConnection(route: route, device: common.device, access: access, endpoints: self, writer: writer, logger: logger))
    }
}
