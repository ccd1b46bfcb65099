import Foundation
import Logging
import NIOCore
import SwitchboardAuth
import SwitchboardControl
import SwitchboardCore

/// One raw TCP connection speaking newline-delimited JSON (or base64 of it,
/// as ESP32 firmware often sends).
///
/// - `{"hello":"esp32-1","topic":"lab/esp32-1"}` names the device and a default topic; answered `{"ok":true}`.
/// - `{"topic":"lab/t","data":…,"id":7,"key":"…"}` publishes; with an `id` it is answered `{"ok":7,"seq":N}` after commit.
/// - After a hello with a topic, any other object is the data itself (its `id`, if any, is still acknowledged).
/// - A line starting with `[` is a batch of such messages.
/// - A line not starting with `{` or `[` is base64; answers to it are base64 too.
/// - A bad line gets `{"error":{"code","message"}}` and is skipped.
/// - When the hub needs credentials, the hello carries `"token"`; until then every
///   publish is refused (`unauthorized`), and a refused token closes the connection.
///
/// State is touched only on the connection's event loop.
final class TCPLineConnection: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = LineDecoder.Event
    typealias OutboundOut = ByteBuffer

    typealias Encoding = TCPLine.Encoding

    let hub: Hub
    let control: ControlPlane
    let registry: ConnectionRegistry
    let maxLineBytes: Int
    let authenticator: Authenticator
    let logger: Logger
    /// What this connection may do: anonymous on an open hub, otherwise set by a hello with a token.
    private var grant: Grant?
    /// Whether the connection was admitted and counted in the connection metrics.
    private var counted = false
    /// Lines that arrived while a JWT was being verified, handled in order once it is.
    private var pendingLines: [ByteBuffer]?
    let rateLimiter: PublishRateLimiter
    private var publishBucket: TokenBucket?
    var device: String?
    private var defaultTopic: Topic?
    private(set) var context: ChannelHandlerContext?
    /// The device id this connection holds in the device registry, once it said hello.
    var registeredDevice: String?
    /// The encoding of the device's latest line: commands go out in it.
    var deviceEncoding = Encoding.json
    var eventLoop: (any EventLoop)?

    init(
        hub: Hub, control: ControlPlane, registry: ConnectionRegistry, maxLineBytes: Int, authenticator: Authenticator,
        rateLimiter: PublishRateLimiter, logger: Logger
    ) {
        self.authenticator = authenticator
        self.rateLimiter = rateLimiter
        self.publishBucket = rateLimiter.connectionBucket()
        self.grant = authenticator.isRequired ? nil : .anonymous
        self.hub = hub
        self.control = control
        self.registry = registry
        self.maxLineBytes = maxLineBytes
        self.logger = logger
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        self.eventLoop = context.eventLoop
    }

    func channelActive(context: ChannelHandlerContext) {
        let channel = context.channel
        guard self.registry.add(ObjectIdentifier(self), address: channel.remoteAddress?.ipAddress, closer: { channel.close(promise: nil) }) else {
            self.answer(Self.errorLine(.limitExceeded(self.registry.limitDescription), id: nil), encoding: .json, flush: true)
            context.close(promise: nil)
            return
        }
        ServerMetrics.shared.tcpConnected()
        self.counted = true
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.registry.remove(ObjectIdentifier(self))
        // A connection refused for the connection limit was never counted.
        if self.counted { ServerMetrics.shared.tcpDisconnected() }
        self.counted = false
        self.unregisterDevice()
        self.context = nil
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        self.logger.debug("TCP connection error", metadata: ["error.type": "\(error)"])
        context.close(promise: nil)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch self.unwrapInboundIn(data) {
        case .tooLong:
            // The error line must reach the peer before the connection closes.
            ServerMetrics.shared.error(code: "too_large", transport: "tcp")
            let line = Self.errorLine(.tooLarge("line longer than \(self.maxLineBytes) bytes; closing"), id: nil) + "\n"
            let channel = context.channel
            context.writeAndFlush(self.wrapOutboundOut(ByteBuffer(string: line))).whenComplete { _ in channel.close(promise: nil) }
        case .line(let line):
            self.received(line)
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        context.flush()
    }

    // MARK: - Lines

    private func received(_ rawLine: ByteBuffer) {
        if self.pendingLines != nil {
            self.pendingLines!.append(rawLine)
            return
        }
        let line: ByteBuffer
        let encoding: Encoding
        switch TCPLine.payload(of: rawLine) {
        case .blank:
            return
        case .notBase64:
            self.fail(.badJSON("a line must be JSON starting with '{' or '[', or base64 of such JSON"), id: nil, encoding: .json)
            return
        case .text(let text, let textEncoding):
            (line, encoding) = (text, textEncoding)
        }
        if let device = self.registeredDevice {
            self.control.devices.seen(device)
            self.deviceEncoding = encoding
        }
        let value: JSONValue
        do throws(HubError) {
            value = try JSONParser.parse(line)
        } catch {
            self.fail(error, id: nil, encoding: encoding)
            return
        }
        switch value {
        case .object:
            self.handleObject(value, encoding: encoding)
        case .array(let items):
            guard !items.isEmpty else {
                self.fail(.badRequest("empty batch"), id: nil, encoding: encoding)
                return
            }
            for item in items { self.handleObject(item, encoding: encoding) }
        default:
            self.fail(.badJSON("a line must be a JSON object or an array of objects"), id: nil, encoding: encoding)
        }
    }

    private func handleObject(_ object: JSONValue, encoding: Encoding) {
        let id = object["id"]
        do throws(HubError) {
            guard case .object(let members) = object else { throw .badJSON("a batch must hold JSON objects") }
            if let hello = object["hello"] {
                try self.authenticateThenHello(hello, object, encoding: encoding)
                return
            }
            guard let grant = self.grant else { throw PresentedCredentials.missing }
            if let answer = object["cmd_result"] {
                try self.control.commandAnswered(answer, from: self.registeredDevice)
                return
            }
            let envelopeKeys: Set<String> = ["topic", "data", "id", "key"]
            let isEnvelope = object["topic"] != nil || (object["data"] != nil && members.allSatisfy { envelopeKeys.contains($0.0) })
            let topic: Topic
            let data: JSONValue
            var key: String? = nil
            if isEnvelope {
                if let topicValue = object["topic"] {
                    guard let name = topicValue.stringValue else { throw .badRequest("topic must be a string") }
                    topic = try Topic(validating: name)
                } else if let defaultTopic = self.defaultTopic {
                    topic = defaultTopic
                } else {
                    throw .badRequest("missing topic")
                }
                guard let payload = object["data"] else { throw .badRequest("missing data") }
                data = payload
                if let keyValue = object["key"] {
                    guard let text = keyValue.stringValue, !text.isEmpty else { throw .badRequest("key must be a non-empty string") }
                    key = text
                }
            } else {
                guard let defaultTopic = self.defaultTopic else {
                    throw .badRequest(#"missing topic: send {"topic":…,"data":…}, or say {"hello":"<device>","topic":"<default topic>"} first"#)
                }
                topic = defaultTopic
                data = object
            }
            guard grant.mayPublish(topic) else { throw grant.refusal("publishing to \(topic)", needs: "pub:\(topic)") }
            try self.rateLimiter.admit(grant, bucket: &self.publishBucket)
            let bytes = ByteBuffer(string: data.serialized)
            guard bytes.readableBytes <= self.hub.configuration.maxMessageBytes else {
                throw .tooLarge("data is \(bytes.readableBytes) bytes, the limit is \(self.hub.configuration.maxMessageBytes)")
            }
            self.publish(topic: topic, data: bytes, key: key, id: id, encoding: encoding)
        } catch {
            self.fail(error, id: id, encoding: encoding)
        }
    }

    /// A hello with a token is checked first (a JWT off the loop, holding back later lines);
    /// a refused token gets its error and the connection is closed.
    private func authenticateThenHello(_ hello: JSONValue, _ object: JSONValue, encoding: Encoding) throws(HubError) {
        guard let tokenValue = object["token"] else {
            guard self.grant != nil else { throw PresentedCredentials.missing }
            try self.completeHello(hello, object, encoding: encoding)
            return
        }
        guard let token = tokenValue.stringValue else { throw .badRequest("token must be a string") }
        if !Authenticator.isJWT(token) {
            try self.helloAuthenticated(self.authenticator.authenticate(switchboardToken: token), hello, object, encoding: encoding)
            return
        }
        guard let eventLoop = self.eventLoop else { return }
        self.pendingLines = []
        let authenticator = self.authenticator
        Task {
            let result = await authenticator.authenticate(token: token)
            eventLoop.execute {
                let held = self.pendingLines ?? []
                self.pendingLines = nil
                do throws(HubError) {
                    try self.helloAuthenticated(result, hello, object, encoding: encoding)
                } catch {
                    self.fail(error, id: object["id"], encoding: encoding, flush: true)
                }
                for line in held { self.received(line) }
                self.context?.flush()
            }
        }
    }

    private func helloAuthenticated(_ result: Result<Grant, HubError>, _ hello: JSONValue, _ object: JSONValue, encoding: Encoding) throws(HubError) {
        switch result {
        case .success(let grant):
            self.grant = grant
            try self.completeHello(hello, object, encoding: encoding)
        case .failure(let error):
            self.fail(error, id: object["id"], encoding: encoding, flush: true)
            self.pendingLines = []  // nothing more is read from a refused client
            self.context?.close(promise: nil)
        }
    }

    private func completeHello(_ hello: JSONValue, _ object: JSONValue, encoding: Encoding) throws(HubError) {
        try self.hello(hello, object)
        self.registerDevice(info: object["info"], encoding: encoding)
        self.answer(#"{"ok":true}"#, encoding: encoding)
    }

    private func hello(_ hello: JSONValue, _ object: JSONValue) throws(HubError) {
        guard let device = hello.stringValue else { throw .badRequest("hello must be the device id, a string, not \(hello.typeName)") }
        try Device.validateID(device)
        if let registered = self.registeredDevice, registered != device {
            throw .conflict("this connection is already device '\(registered)'; open another connection for '\(device)'")
        }
        if let info = object["info"] { try Device.validateInfo(info) }
        var topic: Topic? = nil
        if let topicValue = object["topic"] {
            guard let name = topicValue.stringValue else { throw .badRequest("topic must be a string") }
            topic = try Topic(validating: name)
        }
        self.device = device
        self.defaultTopic = topic ?? self.defaultTopic
    }

    private func publish(topic: Topic, data: ByteBuffer, key: String?, id: JSONValue?, encoding: Encoding) {
        guard let eventLoop = self.context?.eventLoop else { return }
        self.hub.publish(topic: topic, data: data, from: self.device, key: key) { [self] result in
            switch result {
            case .success(let ack):
                guard let id else { return }
                let line = JSONValue.object([("ok", id), ("seq", .int(ack.seq))]).serialized
                eventLoop.execute { self.answer(line, encoding: encoding, flush: true) }
            case .failure(let error):
                eventLoop.execute { self.fail(error, id: id, encoding: encoding, flush: true) }
            }
        }
    }

    // MARK: - Answers

    static func errorLine(_ error: HubError, id: JSONValue?) -> String {
        var members: [(String, JSONValue)] = []
        if let id { members.append(("id", id)) }
        members.append(("error", error.json))
        return JSONValue.object(members).serialized
    }

    func fail(_ error: HubError, id: JSONValue?, encoding: Encoding, flush: Bool = false) {
        ServerMetrics.shared.error(code: error.code, transport: "tcp")
        self.answer(Self.errorLine(error, id: id), encoding: encoding, flush: flush)
    }

    func answer(_ text: String, encoding: Encoding, flush: Bool = false) {
        guard let context = self.context else { return }
        let line = encoding == .base64 ? Data(text.utf8).base64EncodedString() + "\n" : text + "\n"
        context.write(self.wrapOutboundOut(ByteBuffer(string: line)), promise: nil)
        if flush { context.flush() }
    }
}
