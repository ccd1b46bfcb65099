import HummingbirdCore
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle

/// The HTTP/WebSocket listener, on its own NIO bootstrap instead of Hummingbird's server.
///
/// Why: Hummingbird's server hands every accepted connection to a Swift task through an
/// async sequence, and that task waits for the connection's upgrade decision. For a
/// WebSocket, which ``WebSocketUpgradeSniffer`` upgrades on the event loop, that hand-off
/// (a task per connection, wake-ups of the concurrency pool on the hub's one core) was
/// about 30 % of the hub's CPU per connection set up. Here a WebSocket never touches a
/// task; an HTTP connection gets one, running Hummingbird's HTTP/1 handling as before.
struct HTTPListener<Setup: ServerChildChannel>: Service where Setup.Value == HubChannel.Value {
    let host: String
    let port: Int
    /// ``HubChannel``, or it behind TLS.
    let setup: Setup
    let eventLoopGroup: any EventLoopGroup
    let logger: Logger
    let onBound: @Sendable (_ port: Int) -> Void

    func run() async throws {
        let setup = self.setup
        let logger = self.logger
        let children = ChildChannels()
        let channel = try await ServerBootstrap(group: self.eventLoopGroup)
            .serverChannelOption(.backlog, value: 1024)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.allowRemoteHalfClosure, value: true)
            .childChannelInitializer { channel in
                children.add(channel)
                return setup.setup(channel: channel, logger: logger).map { value in
                    value.upgradeResult.whenComplete { result in
                        if case .success(.websocket) = result { return }  // served on its event loop from here on
                        Task { await setup.handle(value: value, logger: logger) }
                    }
                }
            }
            .bind(host: self.host, port: self.port)
            .get()
        self.onBound(channel.localAddress?.port ?? self.port)
        await withTaskCancellationOrGracefulShutdownHandler {
            try? await channel.closeFuture.get()
        } onCancelOrGracefulShutdown: {
            channel.close(promise: nil)
            children.quiesce()
        }
        // The connection closer has closed the WebSockets and event streams; idle HTTP
        // connections close on the quiesce event, busy ones after their response.
        await children.waitForAll(timeout: .seconds(5))
    }
}
