import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle
import SwitchboardCore

/// The MQTT 3.1.1 listener (default 127.0.0.1:1883), as a service: binds, logs
/// the bound address, serves until graceful shutdown, then stops accepting and
/// waits (a few seconds at most) for its connections to save their sessions.
struct MQTTServer: Service {
    let address: HostPort
    let endpoint: MQTTEndpoint
    let eventLoopGroup: any EventLoopGroup
    let onBound: @Sendable (Int) -> Void

    func run() async throws {
        let endpoint = self.endpoint
        let children = ChildChannels()
        let channel = try await ServerBootstrap(group: self.eventLoopGroup)
            .serverChannelOption(.backlog, value: 1024)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelOption(.recvAllocator, value: ReceiveBuffers.allocator)
            .childChannelInitializer { channel in
                children.add(channel)
                return channel.eventLoop.makeCompletedFuture {
                    try endpoint.addHandlers(to: channel.pipeline.syncOperations, transport: "mqtt")
                }
            }
            .bind(host: self.address.host, port: self.address.port)
            .get()
        let port = channel.localAddress?.port ?? self.address.port
        endpoint.logger.info("MQTT listener bound", metadata: ["address": "\(self.address.host):\(port)"])
        self.onBound(port)
        await withTaskCancellationOrGracefulShutdownHandler {
            try? await channel.closeFuture.get()
        } onCancelOrGracefulShutdown: {
            channel.close(promise: nil)
        }
        // The connection closer has asked every connection to close; persistent sessions
        // are saved as they end, and must be before the store closes.
        await children.waitForAll(timeout: .seconds(5))
    }
}
