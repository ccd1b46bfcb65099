import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle
import SwitchboardAuth
import SwitchboardControl
import SwitchboardCore

/// The raw TCP line listener, as a service: binds, logs the bound address,
/// serves until graceful shutdown, then stops accepting.
struct TCPLineServer: Service {
    let address: HostPort
    let hub: Hub
    let control: ControlPlane
    let registry: ConnectionRegistry
    let maxLineBytes: Int
    let authenticator: Authenticator
    let rateLimiter: PublishRateLimiter
    /// When set, every connection speaks TLS first.
    let tls: TLSCertificates?
    let eventLoopGroup: any EventLoopGroup
    let logger: Logger
    let onBound: @Sendable (Int) -> Void

    func run() async throws {
        let hub = self.hub
        let control = self.control
        let registry = self.registry
        let maxLineBytes = self.maxLineBytes
        let authenticator = self.authenticator
        let rateLimiter = self.rateLimiter
        let tls = self.tls
        let logger = self.logger
        let channel = try await ServerBootstrap(group: self.eventLoopGroup)
            .serverChannelOption(.backlog, value: 1024)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelOption(.recvAllocator, value: ReceiveBuffers.allocator)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let tls { try channel.pipeline.syncOperations.addHandler(tls.makeHandler()) }
                    try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(LineDecoder(maxLength: maxLineBytes)))
                    try channel.pipeline.syncOperations.addHandler(
                        TCPLineConnection(hub: hub, control: control, registry: registry, maxLineBytes: maxLineBytes, authenticator: authenticator, rateLimiter: rateLimiter, logger: logger))
                }
            }
            .bind(host: self.address.host, port: self.address.port)
            .get()
        let port = channel.localAddress?.port ?? self.address.port
        self.logger.info("TCP line listener bound", metadata: ["address": "\(self.address.host):\(port)"])
        self.onBound(port)
        // Cancellation too: when another service fails (the HTTP port is taken), the
        // group cancels this one, and it must stop rather than wait forever.
        await withTaskCancellationOrGracefulShutdownHandler {
            try? await channel.closeFuture.get()
        } onCancelOrGracefulShutdown: {
            channel.close(promise: nil)
        }
    }
}
