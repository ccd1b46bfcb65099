import Logging
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import SwitchboardAuth
import SwitchboardCore

/// Topics, their history and their stream descriptors:
/// - `GET /api/v1/topics`
/// - `GET /api/v1/topics/<topic>/messages?after=&limit=&from=&to=&points=` (JSON, or CSV / NDJSON by `Accept`)
/// - `GET|PUT /api/v1/topics/<topic>/descriptor`
struct TopicsController {
    let hub: Hub

    static let defaultLimit = 1000
    static let maxLimit = 10_000
    /// A `points` request reads at most this many messages to decimate.
    static let maxDecimationInput = 2_000_000
    static let descriptorKinds: Set<String> = ["line", "bar", "scatter", "table", "leaderboard", "gauge", "value", "image", "heatmap"]

    func addRoutes(to router: Router<SwitchboardRequestContext>) {
        router.get("/api/v1/topics") { request, context in
            let includeSystem = request.uri.queryParameters["system"] != "false"
            let grant = try context.requireGrant()
            return JSONResponse.make(TopicListing.all(self.hub, includeSystem: includeSystem, visible: grant.mayRead))
        }
        router.get("/api/v1/topics/**") { request, context in
            let (topic, action) = try Self.topicAndAction(request)
            let grant = try context.requireGrant()
            guard grant.mayRead(topic) else { throw grant.refusal("reading \(topic)", needs: "sub:\(topic)") }
            switch action {
            case "messages": return try await self.history(request, topic: topic)
            case "descriptor": return try self.getDescriptor(topic)
            default: throw HubError.notFound("no such endpoint; use /api/v1/topics/<topic>/messages or /descriptor")
            }
        }
        router.put("/api/v1/topics/**") { request, context in
            let (topic, action) = try Self.topicAndAction(request)
            let grant = try context.requireGrant()
            guard grant.mayPublish(topic) else { throw grant.refusal("describing \(topic)", needs: "pub:\(topic)") }
            guard action == "descriptor" else { throw HubError.notFound("only /api/v1/topics/<topic>/descriptor can be PUT") }
            return try await self.putDescriptor(request, topic: topic)
        }
    }

    static func topicAndAction(_ request: Request) throws(HubError) -> (Topic, String) {
        let segments = RequestTopic.tail(request, dropping: 3)
        guard segments.count >= 2, let action = segments.last else {
            throw .notFound("use /api/v1/topics/<topic>/messages or /api/v1/topics/<topic>/descriptor")
        }
        return (try RequestTopic.topic(segments.dropLast(), allowSystem: true), action)
    }

    // MARK: - History

    struct HistoryQuery {
        var after: Int64 = 0
        var limit: Int?
        var fromTs: Int64?
        var toTs: Int64?
        var points: Int?

        init(_ request: Request) throws(HubError) {
            let query = request.uri.queryParameters
            func integer(_ name: String) throws(HubError) -> Int64? {
                guard let text = query[name[...]] else { return nil }
                guard let value = Int64(text), value >= 0 else { throw .badRequest("\(name) must be a whole number ≥ 0, not '\(text)'") }
                return value
            }
            self.after = try integer("after") ?? 0
            if let limit = try integer("limit") {
                guard limit >= 1 else { throw .badRequest("limit must be at least 1") }
                self.limit = Int(min(limit, Int64(TopicsController.maxLimit)))
            }
            self.fromTs = try integer("from")
            self.toTs = try integer("to")
            if let points = try integer("points") {
                guard points >= 2 else { throw .badRequest("points must be at least 2") }
                self.points = Int(min(points, 100_000))
            }
        }

        var isTimeRange: Bool { self.fromTs != nil || self.toTs != nil }
    }

    enum ExportFormat { case json, csv, ndjson }

    static func format(_ request: Request) -> ExportFormat {
        let accept = request.headers[.accept]?.lowercased() ?? ""
        if accept.contains("text/csv") { return .csv }
        if accept.contains("ndjson") || accept.contains("jsonl") { return .ndjson }
        return .json
    }

    func read(_ topic: Topic, _ query: HistoryQuery, after: Int64, limit: Int) throws -> [Message] {
        if query.isTimeRange {
            return try self.hub.history(topic: topic, fromTs: query.fromTs ?? 0, toTs: query.toTs ?? Int64.max, after: after, limit: limit)
        }
        return try self.hub.history(topic: topic, after: after, limit: limit)
    }

    func history(_ request: Request, topic: Topic) async throws -> Response {
        let query = try HistoryQuery(request)
        let format = Self.format(request)
        if let points = query.points {
            var all: [Message] = []
            var after = query.after
            while all.count < Self.maxDecimationInput {
                let page = try self.read(topic, query, after: after, limit: Self.maxLimit)
                all.append(contentsOf: page)
                guard page.count == Self.maxLimit, let last = page.last else { break }
                after = last.seq
            }
            return self.render(Decimation.decimate(all, points: points), format: format, nextAfter: nil)
        }
        if format != .json && query.limit == nil {
            return self.streamExport(topic: topic, query: query, format: format)
        }
        let limit = query.limit ?? Self.defaultLimit
        // One more than asked tells whether another page exists, so `next_after` is null exactly at the end.
        var messages = try self.read(topic, query, after: query.after, limit: limit + 1)
        var nextAfter: Int64? = nil
        if messages.count > limit {
            messages.removeLast(messages.count - limit)
            nextAfter = messages.last?.seq
        }
        return self.render(messages, format: format, nextAfter: nextAfter)
    }

    func render(_ messages: [Message], format: ExportFormat, nextAfter: Int64?) -> Response {
        var body = ByteBuffer()
        switch format {
        case .json:
            body.writeStaticString("{\"messages\":[")
            for (index, message) in messages.enumerated() {
                if index > 0 { body.writeStaticString(",") }
                body.writeImmutableBuffer(message.envelope)
            }
            body.writeString("],\"next_after\":\(nextAfter.map(String.init) ?? "null")}")
            return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: body))
        case .csv:
            body.writeString(CSVExport.header)
            for message in messages { CSVExport.write(message, to: &body) }
        case .ndjson:
            for message in messages {
                body.writeImmutableBuffer(message.envelope)
                body.writeStaticString("\n")
            }
        }
        var headers = Self.exportHeaders(format)
        if let nextAfter { headers[.init("X-Next-After")!] = String(nextAfter) }
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: body))
    }

    static func exportHeaders(_ format: ExportFormat) -> HTTPFields {
        format == .csv ? [.contentType: "text/csv; charset=utf-8"] : [.contentType: "application/x-ndjson"]
    }

    /// A whole topic (or time range) as CSV or NDJSON, read page by page while it is sent.
    func streamExport(topic: Topic, query: HistoryQuery, format: ExportFormat) -> Response {
        Response(
            status: .ok,
            headers: Self.exportHeaders(format),
            body: .init { writer in
                if format == .csv { try await writer.write(ByteBuffer(string: CSVExport.header)) }
                var after = query.after
                while true {
                    let page = try self.read(topic, query, after: after, limit: Self.maxLimit)
                    var chunk = ByteBuffer()
                    for message in page {
                        if format == .csv {
                            CSVExport.write(message, to: &chunk)
                        } else {
                            chunk.writeImmutableBuffer(message.envelope)
                            chunk.writeStaticString("\n")
                        }
                    }
                    if chunk.readableBytes > 0 { try await writer.write(chunk) }
                    guard page.count == Self.maxLimit, let last = page.last else { break }
                    after = last.seq
                }
                try await writer.finish(nil)
            }
        )
    }

    // MARK: - Descriptors

    func getDescriptor(_ topic: Topic) throws -> Response {
        guard let descriptor = self.hub.descriptor(of: topic) else {
            throw HubError.notFound("topic '\(topic)' has no descriptor")
        }
        return JSONResponse.make(text: descriptor)
    }

    func putDescriptor(_ request: Request, topic: Topic) async throws -> Response {
        guard !topic.isSystem else { throw HubError.forbidden("topics beginning with '$' belong to the hub") }
        let body = try await request.body.collect(upTo: 64 * 1024)
        let descriptor = try JSONParser.parse(body)
        guard case .object = descriptor else { throw HubError.badRequest("a descriptor must be a JSON object") }
        if let kind = descriptor["kind"] {
            guard let name = kind.stringValue, Self.descriptorKinds.contains(name) else {
                throw HubError.badRequest("kind must be one of \(Self.descriptorKinds.sorted().joined(separator: ", "))")
            }
        }
        for key in ["fields", "legend", "colors"] {
            if let value = descriptor[key], value.arrayValue == nil { throw HubError.badRequest("\(key) must be an array") }
        }
        if let window = descriptor["window"], (window.int64Value ?? 0) < 1 {
            throw HubError.badRequest("window must be a whole number ≥ 1")
        }
        try self.hub.setDescriptor(descriptor.serialized, for: topic)
        return JSONResponse.make(descriptor)
    }
}

/// CSV export: `topic,seq,ts,from,data` with `data` as JSON text (RFC 4180 quoting).
enum CSVExport {
    static let header = "topic,seq,ts,from,data\r\n"

    static func write(_ message: Message, to buffer: inout ByteBuffer) {
        buffer.writeString(Self.field(message.topic.name))
        buffer.writeString(",\(message.seq),\(message.ts),")
        buffer.writeString(Self.field(message.from ?? ""))
        buffer.writeStaticString(",")
        buffer.writeString(Self.field(String(buffer: message.data)))
        buffer.writeStaticString("\r\n")
    }

    static func field(_ text: String) -> String {
        guard text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return text }
        return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
