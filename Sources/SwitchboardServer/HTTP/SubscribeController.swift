import Logging
import HTTPTypes
import Hummingbird
import NIOConcurrencyHelpers
import NIOCore
import ServiceLifecycle
import SwitchboardAuth
import SwitchboardCore

/// `GET /api/v1/subscribe?topics=a/%23,b&since=a/x:41,b:7&last=N&policy=latest`:
/// a Server-Sent Events stream of envelopes. Each event's `id` is
/// `<topic>:<seq>`, so a browser's `EventSource` resumes by itself with
/// `Last-Event-ID`; messages that cannot be replayed come as `event: gap`.
struct SubscribeController {
    let hub: Hub
    let limits: ServerLimits

    func addRoutes(to router: Router<SwitchboardRequestContext>) {
        router.get("/api/v1/subscribe") { request, context in try self.subscribe(request, context: context) }
    }

    struct Query {
        var patterns: [TopicPattern] = []
        var since: [Topic: Int64] = [:]
        var last = 0
        var policy = DeliveryPolicy.lossless

        init(_ request: Request, maxPatterns: Int) throws(HubError) {
            let query = request.uri.queryParameters
            let topics = query.getAll("topics") + query.getAll("topic")
            let texts = topics.flatMap { $0.split(separator: ",") }.map { String($0) }
            guard !texts.isEmpty else { throw .badRequest("give topics=<pattern>[,<pattern>…] (write # as %23)") }
            guard texts.count <= maxPatterns else { throw .limitExceeded("at most \(maxPatterns) patterns") }
            self.patterns = try texts.map { text throws(HubError) in try TopicPattern(validating: text) }
            var positions = query.getAll("since").flatMap { $0.split(separator: ",") }.map(String.init)
            if let lastEventID = request.headers[.init("Last-Event-ID")!] { positions.append(lastEventID) }
            for position in positions {
                guard let colon = position.lastIndex(of: ":"), let seq = Int64(position[position.index(after: colon)...]), seq >= 0 else {
                    throw .badRequest("since takes <topic>:<seq> pairs separated by commas, not '\(position)'")
                }
                let topic = try Topic(validating: String(position[..<colon]), allowSystem: true)
                self.since[topic] = max(self.since[topic] ?? 0, seq)
            }
            if let last = query["last"] {
                guard let value = Int(last), value >= 0 else { throw .badRequest("last must be a whole number ≥ 0") }
                self.last = value
            }
            if let policy = query["policy"] {
                guard let value = DeliveryPolicy(rawValue: String(policy)) else { throw .badRequest("policy must be lossless or latest") }
                self.policy = value
            }
        }
    }

    func subscribe(_ request: Request, context: SwitchboardRequestContext) throws -> Response {
        let query = try Query(request, maxPatterns: self.limits.maxSubscriptionsPerConnection)
        let grant = try context.requireGrant()
        for pattern in query.patterns where !grant.maySubscribe(pattern) {
            throw grant.refusal("subscribing to \(pattern)", needs: "sub:\(pattern)")
        }
        let eventLoop = context.eventLoop
        let hub = self.hub
        let (stream, continuation) = AsyncStream.makeStream(of: SSEOutlet.Item.self)
        return Response(
            status: .ok,
            headers: [.contentType: "text/event-stream", .cacheControl: "no-cache", .init("X-Accel-Buffering")!: "no"],
            body: .init { writer in
                let session = try await eventLoop.submit {
                    let outlet = SSEOutlet(continuation: continuation)
                    let session = Session(hub: hub, eventLoop: eventLoop, outlet: outlet)
                    session.subscribe(query.patterns, since: query.since, last: query.last, policy: query.policy)
                    return NIOLoopBound(session, eventLoop: eventLoop)
                }.get()
                defer {
                    continuation.finish()
                    eventLoop.execute { session.value.close() }
                }
                // A comment first, so clients and proxies see the stream open at once.
                try await writer.write(ByteBuffer(string: ": switchboard stream\n\n"))
                // A hub shutting down ends the stream; EventSource clients reconnect with Last-Event-ID.
                try await withGracefulShutdownHandler {
                    for await item in stream {
                        do {
                            try await writer.write(item.bytes)
                            item.promise?.succeed()
                        } catch {
                            item.promise?.fail(error)
                            throw error
                        }
                    }
                } onGracefulShutdown: {
                    continuation.finish()
                }
                try await writer.finish(nil)
            }
        )
    }
}

/// A ``Session``'s outlet for an SSE response: bytes go through a stream to
/// the response writer; their promise completes when they were written, which
/// is what bounds the session's queue.
final class SSEOutlet: Outlet {
    struct Item: Sendable {
        let bytes: ByteBuffer
        let promise: EventLoopPromise<Void>?
    }

    let continuation: AsyncStream<Item>.Continuation
    private var pending: [Item] = []

    init(continuation: AsyncStream<Item>.Continuation) {
        self.continuation = continuation
    }

    func encode(_ message: Message) -> ByteBuffer {
        var buffer = ByteBuffer()
        buffer.writeString("id: \(message.topic.name):\(message.seq)\ndata: ")
        buffer.writeImmutableBuffer(message.envelope)
        buffer.writeStaticString("\n\n")
        return buffer
    }

    func encode(_ run: MessageRun) -> ByteBuffer {
        var buffer = ByteBuffer()
        for message in run.messages { buffer.writeImmutableBuffer(self.encode(message)) }
        return buffer
    }

    func encode(_ rows: ArraySlice<StoredMessage>, topic: Topic) -> ByteBuffer {
        EncodedRows(rows, encoding: Self.rowEncoding(topic: topic)).bytes
    }

    func replayEncoding(topic: Topic) -> StoredRowEncoding? {
        Self.rowEncoding(topic: topic)
    }

    private static func rowEncoding(topic: Topic) -> StoredRowEncoding {
        let encoder = EnvelopeEncoder(topic: topic)
        return StoredRowEncoding { row, buffer in
            buffer.writeString("id: \(topic.name):\(row.seq)\ndata: ")
            encoder.writeEnvelope(seq: row.seq, ts: row.ts, from: row.from, data: row.data, to: &buffer)
            buffer.writeStaticString("\n\n")
        }
    }

    func encodeGap(topic: Topic, from: Int64, to: Int64) -> ByteBuffer {
        ByteBuffer(string: "event: gap\ndata: \(Replies.gap(topic: topic, from: from, to: to))\n\n")
    }

    func write(_ bytes: ByteBuffer, promise: EventLoopPromise<Void>?) {
        self.pending.append(Item(bytes: bytes, promise: promise))
    }

    func flush() {
        guard !self.pending.isEmpty else { return }
        // One chunk per flush: the response writer then writes once per batch.
        var combined = ByteBuffer()
        var promises: [EventLoopPromise<Void>] = []
        for item in self.pending {
            combined.writeImmutableBuffer(item.bytes)
            if let promise = item.promise { promises.append(promise) }
        }
        self.pending.removeAll()
        let first = promises.first
        for other in promises.dropFirst() { first?.futureResult.cascade(to: other) }
        self.continuation.yield(Item(bytes: combined, promise: first))
    }

    func closeSlowConsumer(reason: String) {
        self.continuation.yield(Item(bytes: ByteBuffer(string: "event: error\ndata: \(Replies.error(id: nil, .init(code: "slow_consumer", message: reason)))\n\n"), promise: nil))
        self.continuation.finish()
    }
}
