import Logging
import Foundation
import NIOCore
import SwitchboardAuth
import SwitchboardControl
import SwitchboardCore

/// The `/ws` protocol: one JSON object per text frame, `op` says what it is.
extension WebSocketConnection {
    func handleOp(_ text: ByteBuffer) {
        let request: JSONParser.Object
        do throws(HubError) {
            request = try JSONParser.parseObject(text, rawKeys: ["data"])
        } catch {
            self.sendError(id: nil, error)
            return
        }
        let id = request["id"]
        if let device = self.registeredDevice { self.endpoints.control.devices.seen(device) }
        do throws(HubError) {
            if let id {
                switch id {
                case .number, .string: break
                default: throw .badRequest("id must be a number or a string, not \(id.typeName)")
                }
            }
            guard let opValue = request["op"] else { throw .badRequest("missing op") }
            guard let op = opValue.stringValue else { throw .badRequest("op must be a string") }
            switch op {
            case "sub": try self.handleSubscribe(request, id: id)
            case "unsub": try self.handleUnsubscribe(request, id: id)
            case "pub": try self.handlePublish(request, id: id)
            case "call": try self.handleCall(request, id: id)
            case "hello": try self.handleHello(request, id: id)
            case "cmd_result":
                _ = try self.requireGrant()
                try self.handleCommandResult(request)
            default: throw .unknownOp("unknown op '\(op)'; expected sub, unsub, pub, call, hello or cmd_result")
            }
        } catch {
            self.sendError(id: id, error)
        }
    }

    private func patterns(_ request: JSONParser.Object) throws(HubError) -> [TopicPattern] {
        let values: [JSONValue]
        if let topics = request["topics"] {
            guard let array = topics.arrayValue else { throw .badRequest("topics must be an array of patterns") }
            values = array
        } else if let topic = request["topic"] {
            values = [topic]
        } else {
            throw .badRequest("missing topics")
        }
        guard !values.isEmpty else { throw .badRequest("topics is empty") }
        var patterns: [TopicPattern] = []
        for value in values {
            guard let text = value.stringValue else { throw .badRequest("each topic pattern must be a string") }
            patterns.append(try TopicPattern(validating: text))
        }
        return patterns
    }

    private func handleSubscribe(_ request: JSONParser.Object, id: JSONValue?) throws(HubError) {
        let patterns = try self.patterns(request)
        let grant = try self.requireGrant()
        for pattern in patterns where !grant.maySubscribe(pattern) {
            throw grant.refusal("subscribing to \(pattern)", needs: "sub:\(pattern)")
        }
        var since: [Topic: Int64] = [:]
        if let sinceValue = request["since"] {
            guard let members = sinceValue.objectValue else { throw .badRequest("since must be an object of topic → seq") }
            for (name, seqValue) in members {
                let topic = try Topic(validating: name, allowSystem: true)
                guard let seq = seqValue.int64Value, seq >= 0 else { throw .badRequest("since['\(name)'] must be a seq (a whole number ≥ 0)") }
                since[topic] = seq
            }
        }
        var last = 0
        if let lastValue = request["last"] {
            guard let value = lastValue.int64Value, value >= 0 else { throw .badRequest("last must be a whole number ≥ 0") }
            last = Int(min(value, 1_000_000))
        }
        var policy = DeliveryPolicy.lossless
        if let policyValue = request["policy"] {
            guard let text = policyValue.stringValue, let value = DeliveryPolicy(rawValue: text) else {
                throw .badRequest("policy must be 'lossless' or 'latest'")
            }
            policy = value
        }
        guard let session = self.session else { return }
        let limit = self.endpoints.limits.maxSubscriptionsPerConnection
        guard session.subscriptionCount + patterns.count <= limit else {
            throw .limitExceeded("at most \(limit) subscriptions per connection")
        }
        // The answer goes first, so a client sees `ok` before the replay.
        session.subscribe(
            patterns, since: since, last: last, policy: policy, acknowledgement: WebSocketFraming.textFrame(ByteBuffer(string: Replies.ok(id: id))))
    }

    private func handleUnsubscribe(_ request: JSONParser.Object, id: JSONValue?) throws(HubError) {
        let patterns = try self.patterns(request)
        _ = self.session?.unsubscribe(patterns)
        self.sendControl(Replies.ok(id: id))
    }

    private func handlePublish(_ request: JSONParser.Object, id: JSONValue?) throws(HubError) {
        guard let topicValue = request["topic"] else { throw .badRequest("missing topic") }
        guard let name = topicValue.stringValue else { throw .badRequest("topic must be a string") }
        let topic = try Topic(validating: name)
        let grant = try self.requireGrant()
        guard grant.mayPublish(topic) else { throw grant.refusal("publishing to \(topic)", needs: "pub:\(topic)") }
        guard let data = request.raw["data"] else { throw .badRequest("missing data") }
        let maxBytes = self.hub.configuration.maxMessageBytes
        guard data.readableBytes <= maxBytes else { throw .tooLarge("data is \(data.readableBytes) bytes, the limit is \(maxBytes)") }
        var key: String? = nil
        if let keyValue = request["key"] {
            guard let text = keyValue.stringValue, !text.isEmpty, text.utf8.count <= 256 else {
                throw .badRequest("key must be a non-empty string of at most 256 bytes")
            }
            key = text
        }
        self.publish(topic: topic, data: data, key: key, id: id)
    }

    private func handleHello(_ request: JSONParser.Object, id: JSONValue?) throws(HubError) {
        guard let tokenValue = request["token"] else {
            _ = try self.requireGrant()
            try self.hello(device: request["device"], info: request["info"])
            self.sendControl(Replies.ok(id: id))
            return
        }
        guard let token = tokenValue.stringValue else { throw .badRequest("token must be a string") }
        let (device, info) = (request["device"], request["info"])
        let authenticator = self.endpoints.authenticator
        let eventLoop = self.channelEventLoop!
        Task {
            let result = await authenticator.authenticate(token: token)
            eventLoop.execute {
                switch result {
                case .success(let grant):
                    self.grant = grant
                    do throws(HubError) {
                        try self.hello(device: device, info: info)
                        self.sendControl(Replies.ok(id: id))
                    } catch {
                        self.sendError(id: id, error)
                    }
                case .failure(let error):
                    self.sendError(id: id, error)
                    self.refuse(error)
                }
            }
        }
    }

    private func handleCall(_ request: JSONParser.Object, id: JSONValue?) throws(HubError) {
        guard let methodValue = request["method"] else { throw .badRequest("missing method") }
        guard let method = methodValue.stringValue else { throw .badRequest("method must be a string") }
        if let params = request["params"], params.objectValue == nil, params != .null {
            throw .badRequest("params must be an object")
        }
        let result: JSONValue
        switch method {
        case "time":
            result = BuiltinMethods.time()
        case "hello":
            let params = request["params"] ?? .null
            _ = try self.requireGrant()
            try self.hello(device: params["device"], info: params["info"])
            result = BuiltinMethods.hello(client: self.device)
        case "topics.list":
            result = TopicListing.all(self.hub, visible: try self.requireGrant().mayRead)
        default:
            guard let handler = self.endpoints.control.calls.handler(for: method) else {
                let known = (["time", "hello", "topics.list"] + self.endpoints.control.calls.methods).joined(separator: ", ")
                throw .notFound("unknown method '\(method)'; methods are \(known)")
            }
            self.callAsync(handler, method: method, params: request["params"] ?? .null, grant: try self.requireGrant(), id: id)
            return
        }
        self.sendControl(Replies.result(id: id, result))
    }

    /// Runs a control-plane method off the event loop and answers on it, in the order answers come.
    private func callAsync(_ handler: @escaping CallRouter.Handler, method: String, params: JSONValue, grant: Grant, id: JSONValue?) {
        let context = CallContext(device: self.device)
        guard let eventLoop = self.channelEventLoop else { return }
        let rules = AccessRules(control: self.endpoints.control)
        Task {
            let reply: String
            do throws(HubError) {
                try await rules.checkCall(grant, method: method, params: params)
                reply = Replies.result(id: id, try await handler(params, context))
            } catch {
                reply = Replies.error(id: id, error)
            }
            eventLoop.execute { self.sendControl(reply) }
        }
    }
}

/// Methods every `call` can reach.
enum BuiltinMethods {
    /// `{"ms": <epoch ms>, "iso": "<RFC 3339>"}`.
    static func time() -> JSONValue {
        let now = Date()
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return .object([("ms", .int(Int64(now.timeIntervalSince1970 * 1000))), ("iso", .string(formatter.string(from: now)))])
    }

    /// Who the hub is and who the caller is.
    static func hello(client: String?) -> JSONValue {
        .object([
            ("server", .string("switchboard")),
            ("version", .string(SwitchboardVersion.current)),
            ("client", client.map { .string($0) } ?? .null),
            ("time", .int(Hub.now())),
        ])
    }
}

/// The version reported by `hello`, `--version` and `/healthz`.
public enum SwitchboardVersion {
    public static let current = "0.1.0"
}
