import NIOCore
import NIOPosix

/// Opens MQTT 3.1.1 connections over plain TCP for a fan-out run: CONNECT with a
/// clean session and a client identifier unique to the run and connection, a
/// SUBSCRIBE at QoS 0 for subscribers (`MQTTHandshakeHandler`), then the run's own
/// handler; keeps each connection alive with PINGREQs and ends it with DISCONNECT.
struct MQTTConnector: FanoutEndpoint {
    let url: MQTTURL
    let sockets: ClientSockets
    let maxPacketSize: Int
    /// Client identifiers are this and the connection's number: a random part, so
    /// that the runs of a search, and tools running at once, never take over each
    /// other's sessions; letters and digits, at most 23 of them, which §3.1.3.1
    /// obliges every server to accept.
    private let clientIDPrefix: String

    init(url: MQTTURL, sourceAddresses: Int, timeout: TimeAmount, maxPacketSize: Int) throws {
        self.url = url
        sockets = try ClientSockets(authority: url.authority, sourceAddresses: sourceAddresses, timeout: timeout)
        self.maxPacketSize = maxPacketSize
        clientIDPrefix = "sbb" + String(UInt32.random(in: .min ... .max), radix: 16) + "n"
    }

    func connectSubscriber(number: Int, on eventLoop: any EventLoop, tally: NIOLoopBound<LoopTally>, slot: Int) async throws -> any Channel {
        let maxPacketSize = self.maxPacketSize
        return try await connect(number: number, on: eventLoop, subscribeTo: url.topic) {
            MQTTSubscriberHandler(tally: tally.value, slot: slot, maxPacketSize: maxPacketSize)
        }
    }

    func connectPublisher(number: Int, on eventLoop: any EventLoop) async throws -> any Channel {
        guard !url.hasWildcards else { throw MQTTError.wildcardPublishTopic(url.topic) }
        return try await connect(number: number, on: eventLoop, subscribeTo: nil) { MQTTPublisherHandler() }
    }

    func messageFraming() -> any MessageFraming { MQTTMessageFraming(topic: url.topic) }

    /// DISCONNECT, after which the client closes the connection (§3.14.4).
    func closeGracefully(_ channel: any Channel) {
        channel.writeAndFlush(MQTTPacket.disconnect).whenComplete { _ in channel.close(promise: nil) }
    }

    /// Connects on `eventLoop`, completes the handshake, and returns the channel
    /// with the handler `install` makes in place.
    private func connect(
        number: Int,
        on eventLoop: any EventLoop,
        subscribeTo topic: String?,
        install: @escaping @Sendable () -> any ChannelHandler
    ) async throws -> any Channel {
        let started = NIODeadline.now()
        let bootstrap = try sockets.bootstrap(number: number, on: eventLoop)
        let clientID = clientIDPrefix + String(number), timeout = sockets.timeout
        let handshake: EventLoopFuture<any Channel> = try await bootstrap.connect(to: sockets.address) { channel in
            channel.eventLoop.makeCompletedFuture {
                let done = channel.eventLoop.makePromise(of: Void.self)
                try channel.pipeline.syncOperations.addHandler(
                    MQTTHandshakeHandler(clientID: clientID, subscribeTo: topic, done: done, install: install))
                // A server that accepts but never answers must not hang the run:
                // closing the channel fails the handshake.
                let timer = channel.eventLoop.scheduleTask(in: timeout) { channel.close(promise: nil) }
                done.futureResult.whenComplete { _ in timer.cancel() }
                return done.futureResult.map { channel }
            }
        }
        let channel: any Channel
        do {
            channel = try await handshake.get()
        } catch where NIODeadline.now() >= started + timeout {
            // Our timer closed the channel; say so rather than how the close surfaced.
            let acks = topic == nil ? "CONNACK" : "CONNACK and SUBACK"
            throw BenchError.timedOut("no MQTT \(acks) within \(timeout.nanoseconds / 1_000_000) ms (\(error))")
        }
        Self.keepAlive(channel)
        return channel
    }

    /// A PINGREQ every half keep-alive: a server drops a client that sends nothing
    /// for 1.5 × keep-alive (§3.1.2.10), and a subscriber sends nothing after SUBSCRIBE.
    private static func keepAlive(_ channel: any Channel) {
        let interval = TimeAmount.seconds(Int64(MQTTPacket.keepAliveSeconds) / 2)
        let pings = channel.eventLoop.scheduleRepeatedTask(initialDelay: interval, delay: interval) { _ in
            channel.writeAndFlush(MQTTPacket.pingRequest, promise: nil)
        }
        channel.closeFuture.whenComplete { _ in pings.cancel() }
    }
}
