import Foundation
import Logging
import Hummingbird
import NIOConcurrencyHelpers
import NIOCore
import SwitchboardAuth
import SwitchboardCore

/// `POST /api/v1/publish/<topic>`: one JSON body, or NDJSON (one message per line).
///
/// Answers after commit: `{"seq":N}` or `{"seqs":[…]}`. `?from=` names the
/// publisher; `?key=` (or an `Idempotency-Key` header) makes a single publish idempotent.
struct PublishController {
    let hub: Hub
    let limits: ServerLimits
    let rateLimiter: PublishRateLimiter

    func addRoutes(to router: Router<SwitchboardRequestContext>) {
        router.post("/api/v1/publish/**") { request, context in try await self.publish(request, context: context) }
    }

    enum BodyKind { case json, ndjson }

    static func bodyKind(_ request: Request) throws(HubError) -> BodyKind {
        guard let contentType = request.headers[.contentType] else { return .json }
        let mediaType = contentType.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() } ?? ""
        switch mediaType {
        case "application/json", "text/json": return .json
        case "application/x-ndjson", "application/ndjson", "application/jsonl", "application/jsonlines": return .ndjson
        default:
            if mediaType.hasSuffix("+json") { return .json }
            throw .unsupportedMediaType(
                "Content-Type '\(contentType)' is not accepted; send application/json (one message) or application/x-ndjson (one per line)")
        }
    }

    func publish(_ request: Request, context: SwitchboardRequestContext) async throws -> Response {
        let topic = try RequestTopic.topic(RequestTopic.tail(request, dropping: 3))
        let grant = try context.requireGrant()
        guard grant.mayPublish(topic) else { throw grant.refusal("publishing to \(topic)", needs: "pub:\(topic)") }
        var noConnection: TokenBucket? = nil  // HTTP requests share only the credential's bucket
        try self.rateLimiter.admit(grant, bucket: &noConnection)
        let kind = try Self.bodyKind(request)
        let body = try await request.body.collect(upTo: self.limits.maxBodyBytes)
        let from = request.uri.queryParameters["from"].map(String.init)
        let key = request.uri.queryParameters["key"].map(String.init) ?? request.headers[.init("Idempotency-Key")!]
        switch kind {
        case .json:
            try JSONParser.validate(body)
            let ack = try await self.hub.publish(topic: topic, data: body, from: from, key: key)
            return JSONResponse.make(.object([("seq", .int(ack.seq))]))
        case .ndjson:
            let lines = try Self.splitLines(body)
            guard !lines.isEmpty else { throw HubError.badRequest("the NDJSON body has no messages") }
            let seqs = try await self.publishAll(topic: topic, lines: lines, from: from)
            return JSONResponse.make(.object([("seqs", .array(seqs.map { .int($0) }))]))
        }
    }

    /// Splits and validates every line first, so a bad line rejects the whole batch before anything is stored.
    static func splitLines(_ body: ByteBuffer) throws(HubError) -> [ByteBuffer] {
        var lines: [ByteBuffer] = []
        var rest = body
        var number = 0
        while rest.readableBytes > 0 {
            number += 1
            let length = rest.readableBytesView.firstIndex(of: UInt8(ascii: "\n")).map { $0 - rest.readerIndex } ?? rest.readableBytes
            var line = rest.readSlice(length: length)!
            rest.moveReaderIndex(forwardBy: min(1, rest.readableBytes))
            if line.readableBytesView.last == UInt8(ascii: "\r") { line = line.getSlice(at: line.readerIndex, length: line.readableBytes - 1)! }
            if line.readableBytesView.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) { continue }
            do throws(HubError) {
                try JSONParser.validate(line)
            } catch {
                throw .badJSON("line \(number): \(error.message)")
            }
            lines.append(line)
        }
        return lines
    }

    /// Queues every line at once (they share commits) and waits for all.
    func publishAll(topic: Topic, lines: [ByteBuffer], from: String?) async throws(HubError) -> [Int64] {
        let results: [Result<Hub.PublishAck, HubError>] = await withCheckedContinuation { continuation in
            let collector = ResultCollector(count: lines.count) { continuation.resume(returning: $0) }
            for (index, line) in lines.enumerated() {
                self.hub.publish(topic: topic, data: line, from: from, key: nil) { collector.set(index, $0) }
            }
        }
        return try results.map { result throws(HubError) in try result.get().seq }
    }
}

/// Gathers completions that arrive on other threads and reports once all are in.
final class ResultCollector<Value: Sendable>: Sendable {
    private let state: NIOLockedValueBox<(results: [Value?], missing: Int)>
    private let done: @Sendable ([Value]) -> Void

    init(count: Int, done: @escaping @Sendable ([Value]) -> Void) {
        self.state = NIOLockedValueBox((Array(repeating: nil, count: count), count))
        self.done = done
    }

    func set(_ index: Int, _ value: Value) {
        let complete: [Value]? = self.state.withLockedValue { state in
            state.results[index] = value
            state.missing -= 1
            return state.missing == 0 ? state.results.map { $0! } : nil
        }
        if let complete { self.done(complete) }
    }
}
