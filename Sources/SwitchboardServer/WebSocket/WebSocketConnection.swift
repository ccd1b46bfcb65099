import Logging
import NIOCore
import NIOWebSocket
import SwitchboardAuth
import SwitchboardControl
import SwitchboardCore

/// One WebSocket connection, driven entirely on its event loop.
///
/// Inbound frames are parsed here; outbound messages come from the hub's
/// fan-out through the connection's ``Session`` and are written as shared,
/// pre-encoded frames. Marked `@unchecked Sendable` because its state is only
/// touched on its event loop (acks from the committer hop there first).
final class WebSocketConnection: ChannelInboundHandler, Outlet, @unchecked Sendable {
    typealias InboundIn = WebSocketFrame

    /// Close codes the hub sends (RFC 6455 §7.4).
    enum CloseCode {
        static let normal: UInt16 = 1000
        static let goingAway: UInt16 = 1001
        static let protocolError: UInt16 = 1002
        static let unsupportedData: UInt16 = 1003
        static let policyViolation: UInt16 = 1008
        static let tooBig: UInt16 = 1009
        static let tryAgainLater: UInt16 = 1013
    }

    /// How long a closing connection may take to take its close frame.
    static let closeGrace = TimeAmount.seconds(10)

    let route: WebSocketRoute
    /// Which of a message's pre-encoded frames this connection sends, decided once.
    private let frameKind: EnvelopeEncoder.FrameKind
    let endpoints: WebSocketEndpoints
    let writer: FrameWriter
    let logger: Logger
    var hub: Hub { self.endpoints.hub }
    /// The device or client id, from `?device=` or `hello`; becomes `from` of what it publishes.
    var device: String?
    private(set) var session: Session?
    private var eventLoop: (any EventLoop)?
    /// The connection's event loop, once it is in a pipeline.
    var channelEventLoop: (any EventLoop)? { self.eventLoop }
    private(set) var channel: (any Channel)?
    private var closing = false
    /// Whether the connection was admitted and counted in the connection metrics.
    private var counted = false
    /// The device id this connection holds in the device registry, once it said hello (or `?device=`).
    var registeredDevice: String?
    /// The peer's `host:port`, shown in the device registry.
    private(set) var remoteAddress: String?
    /// What this connection may do; `nil` until a `/ws` client without credentials sends `hello` with a token.
    var grant: Grant?
    /// Set when the upgrade's credentials were refused: the connection is closed with 1008 at once.
    private let refusal: HubError?
    /// This connection's publish rate limit, when one is configured.
    private var publishBucket: TokenBucket?
    /// Keep-alive: a ping every `ws_ping_interval`; a peer silent for a whole interval after a ping is gone.
    private var keepAlive: KeepAliveClock?
    private var heardFromPeer = true
    private var awaitingPong = false

    init(
        route: WebSocketRoute, device: String?, access: PresentedCredentials.Outcome, endpoints: WebSocketEndpoints, writer: FrameWriter,
        logger: Logger
    ) {
        switch access {
        case .refused(let error):
            // A `/ws` client may still authenticate with `hello`, unless it sent credentials that were refused.
            if case .full = route, error == PresentedCredentials.missing { self.refusal = nil } else { self.refusal = error }
            self.grant = nil
        default:
            self.grant = access.grant
            self.refusal = nil
        }
        self.publishBucket = endpoints.rateLimiter.connectionBucket()
        self.route = route
        if case .subscribe(let subscription) = route {
            self.frameKind = subscription.dataOnly ? .data : .envelope
        } else {
            self.frameKind = .op
        }
        self.device = device
        self.endpoints = endpoints
        self.writer = writer
        self.logger = logger
    }

    // MARK: - Channel events

    func handlerAdded(context: ChannelHandlerContext) {
        self.eventLoop = context.eventLoop
        self.channel = context.channel
        self.remoteAddress = context.channel.remoteAddress.map { "\($0.ipAddress ?? "?"):\($0.port ?? 0)" }
        self.session = Session(hub: self.hub, eventLoop: context.eventLoop, outlet: self)
        let registered = self.endpoints.registry.add(ObjectIdentifier(self), address: context.channel.remoteAddress?.ipAddress) { [self] in
            self.eventLoop?.execute { self.close(code: CloseCode.goingAway, reason: "the hub is shutting down") }
        }
        guard registered else {
            self.sendError(id: nil, .limitExceeded(self.endpoints.registry.limitDescription))
            self.close(code: CloseCode.tryAgainLater, reason: "too many connections")
            return
        }
        ServerMetrics.shared.webSocketConnected()
        self.counted = true
        self.startKeepAlive(context.eventLoop)
        if let refusal = self.refusal {
            self.refuse(refusal)
            return
        }
        switch self.route {
        case .full:
            if let device = self.device {
                do throws(HubError) {
                    try Device.validateID(device)
                    self.registerDevice(device, info: nil)
                } catch {
                    self.sendError(id: nil, error)
                }
            }
        case .publish(let topic):
            guard let grant = self.grant, grant.mayPublish(topic) else {
                self.refuse(self.grant?.refusal("publishing to \(topic)", needs: "pub:\(topic)") ?? PresentedCredentials.missing)
                return
            }
        case .subscribe(let subscription):
            guard let grant = self.grant, grant.maySubscribe(subscription.pattern) else {
                let pattern = subscription.pattern
                self.refuse(self.grant?.refusal("subscribing to \(pattern)", needs: "sub:\(pattern)") ?? PresentedCredentials.missing)
                return
            }
            var since: [Topic: Int64] = [:]
            if let seq = subscription.since {
                for (topic, _) in self.hub.topics(matching: subscription.pattern) { since[topic] = seq }
                if subscription.pattern.isExact { since[Topic(trusted: subscription.pattern.text)] = seq }
            }
            self.session?.subscribe([subscription.pattern], since: since, last: subscription.last, policy: subscription.policy)
        case .invalid(let error):
            self.sendError(id: nil, error)
            self.close(code: CloseCode.policyViolation, reason: error.code)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.finish()
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.finish()
    }

    private func finish() {
        self.keepAlive?.remove(self)
        self.keepAlive = nil
        guard let session = self.session else { return }
        session.close()
        self.session = nil
        self.unregisterDevice()
        self.endpoints.registry.remove(ObjectIdentifier(self))
        // A connection refused for the connection limit was never counted.
        if self.counted { ServerMetrics.shared.webSocketDisconnected() }
        self.counted = false
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !self.closing else { return }
        self.heardFromPeer = true
        let frame = self.unwrapInboundIn(data)
        switch frame.opcode {
        case .text:
            self.received(text: frame.unmaskedData)
        case .binary:
            self.sendError(id: nil, .badJSON("binary frames are not accepted; send JSON as text frames"))
        case .ping:
            var payload = frame.unmaskedData
            let pong = WebSocketFraming.frame(opcode: WebSocketFraming.pong, payload: payload.readSlice(length: min(payload.readableBytes, 125)) ?? ByteBuffer())
            self.writer.write(pong, promise: nil)
            self.writer.flush()
        case .pong:
            break
        case .connectionClose:
            var payload = frame.unmaskedData
            let code = payload.readInteger(as: UInt16.self) ?? CloseCode.normal
            self.close(code: code, reason: "")
        default:
            self.sendError(id: nil, .badRequest("unexpected frame opcode \(frame.opcode)"))
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        // The server allows half-closure, so a peer that vanished without a close frame (killed,
        // crashed) only shows up as closed input. Nothing more can arrive: close our side too, or
        // the connection would linger in CLOSE-WAIT and its device would stay online.
        if let event = event as? ChannelEvent, event == .inputClosed {
            self.finish()
            context.close(promise: nil)
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if let error = error as? NIOWebSocketError {
            switch error {
            case .invalidFrameLength:
                self.sendError(id: nil, .tooLarge("frame exceeds \(self.endpoints.maxFrameSize) bytes"))
                self.close(code: CloseCode.tooBig, reason: "frame too large")
            default:
                self.close(code: CloseCode.protocolError, reason: "protocol error")
            }
        } else if let error = error as? NIOWebSocketFrameAggregator.Error {
            self.sendError(id: nil, .tooLarge("fragmented message too large: \(error)"))
            self.close(code: CloseCode.tooBig, reason: "message too large")
        } else {
            self.logger.debug("WebSocket error", metadata: ["error.type": "\(error)"])
            context.close(promise: nil)
        }
    }

    // MARK: - Inbound

    private func received(text: ByteBuffer) {
        switch self.route {
        case .full:
            self.handleOp(text)
        case .publish(let topic):
            do throws(HubError) {
                try JSONParser.validate(text)
            } catch {
                self.sendError(id: nil, error)
                return
            }
            self.publish(topic: topic, data: text, key: nil, id: nil)
        case .subscribe, .invalid:
            break
        }
    }

    /// Publishes and, when `id` is given, answers `ok` with the seq after commit.
    func publish(topic: Topic, data: ByteBuffer, key: String?, id: JSONValue?) {
        let eventLoop = self.eventLoop!
        do throws(HubError) {
            try self.endpoints.rateLimiter.admit(try self.requireGrant(), bucket: &self.publishBucket)
        } catch {
            self.sendError(id: id, error)
            return
        }
        self.hub.publish(topic: topic, data: data, from: self.device, key: key) { [self] result in
            switch result {
            case .success(let ack):
                guard let id else { return }
                eventLoop.execute { self.sendControl(Replies.ok(id: id, seq: ack.seq)) }
            case .failure(let error):
                eventLoop.execute { self.sendError(id: id, error) }
            }
        }
    }

    // MARK: - Outbound

    func sendControl(_ text: String) {
        guard !self.closing else { return }
        self.session?.writeControl(WebSocketFraming.textFrame(ByteBuffer(string: text)))
    }

    func sendError(id: JSONValue?, _ error: HubError) {
        ServerMetrics.shared.error(code: error.code, transport: "websocket")
        self.sendControl(Replies.error(id: id, error))
    }

    /// Pings the peer every interval. Any frame from it counts as an answer; a peer that sent
    /// nothing since the last ping (a vanished device, a half-open connection) is closed, so its
    /// queue, subscriptions and device slot are freed. RFC 6455 clients answer pings by themselves.
    private func startKeepAlive(_ eventLoop: any EventLoop) {
        let seconds = self.endpoints.limits.webSocketPingIntervalSeconds
        guard seconds > 0 else { return }
        let clock = KeepAliveClock.on(eventLoop)
        clock.add(self, interval: .seconds(Int64(seconds)))
        self.keepAlive = clock
    }

    /// Called by the loop's ``KeepAliveClock`` once per ping interval.
    func keepAliveDue() {
        guard !self.closing else { return }
        if self.awaitingPong && !self.heardFromPeer {
            DropMetrics.dropped(reason: "ping_timeout")
            self.close(code: CloseCode.goingAway, reason: "no answer to ping within \(self.endpoints.limits.webSocketPingIntervalSeconds) s")
            return
        }
        self.heardFromPeer = false
        self.awaitingPong = true
        self.writer.write(WebSocketFraming.frame(opcode: WebSocketFraming.ping, payload: ByteBuffer()), promise: nil)
        self.writer.flush()
    }

    /// Sends the error, then closes with 1008 (policy violation) and the error code as the reason.
    func refuse(_ error: HubError) {
        self.sendError(id: nil, error)
        self.close(code: CloseCode.policyViolation, reason: "\(error.code): \(error.message)".utf8Prefix(123))
    }

    /// The grant for an action, or `unauthorized` when the connection has none yet.
    func requireGrant() throws(HubError) -> Grant {
        guard let grant = self.grant else { throw PresentedCredentials.missing }
        return grant
    }

    /// Sends a close frame, then closes the connection once it is written.
    func close(code: UInt16, reason: String) {
        guard !self.closing, let channel = self.channel else { return }
        self.closing = true
        self.session?.flush()
        self.finish()
        let promise = channel.eventLoop.makePromise(of: Void.self)
        self.writer.write(WebSocketFraming.closeFrame(code: code, reason: reason), promise: promise)
        self.writer.flush()
        promise.futureResult.whenComplete { _ in channel.close(promise: nil) }
        // A peer that stops reading must not keep the connection open: the close frame
        // waits behind what is queued, and after this grace the connection is dropped.
        channel.eventLoop.scheduleTask(in: Self.closeGrace) { channel.close(promise: nil) }
    }

    // MARK: - Outlet

    func encode(_ message: Message) -> ByteBuffer {
        switch self.frameKind {
        case .op: message.frames.op
        case .envelope: message.frames.envelope
        case .data: message.frames.data
        }
    }

    func encode(_ run: MessageRun) -> ByteBuffer {
        switch self.frameKind {
        case .op: run.frames.op
        case .envelope: run.frames.envelope
        case .data: run.frames.data
        }
    }

    func encode(_ rows: ArraySlice<StoredMessage>, topic: Topic) -> ByteBuffer {
        EncodedRows(rows, encoding: self.rowEncoding(topic: topic)).bytes
    }

    func replayEncoding(topic: Topic) -> StoredRowEncoding? {
        self.rowEncoding(topic: topic)
    }

    private func rowEncoding(topic: Topic) -> StoredRowEncoding {
        let encoder = EnvelopeEncoder(topic: topic)
        let kind = self.frameKind
        return StoredRowEncoding { row, buffer in
            encoder.writeFrame(kind, seq: row.seq, ts: row.ts, from: row.from, data: row.data, to: &buffer)
        }
    }

    func encodeGap(topic: Topic, from: Int64, to: Int64) -> ByteBuffer {
        WebSocketFraming.textFrame(ByteBuffer(string: Replies.gap(topic: topic, from: from, to: to)))
    }

    func write(_ bytes: ByteBuffer, promise: EventLoopPromise<Void>?) {
        self.writer.write(bytes, promise: promise)
    }

    func flush() {
        self.writer.flush()
    }

    func closeSlowConsumer(reason: String) {
        self.close(code: CloseCode.tryAgainLater, reason: reason)
    }
}

extension String {
    /// At most `count` bytes of UTF-8, cut at a character boundary (a close reason may have 123).
    func utf8Prefix(_ count: Int) -> String {
        var result = ""
        for character in self {
            guard result.utf8.count + character.utf8.count <= count else { break }
            result.append(character)
        }
        return result
    }
}
