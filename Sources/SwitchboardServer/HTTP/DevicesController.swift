import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import SwitchboardControl
import SwitchboardAuth
import SwitchboardCore

/// Devices and their commands:
/// - `GET /api/v1/devices`, `GET /api/v1/devices/<id>`
/// - `POST /api/v1/devices/<id>/commands` `{"name","params","timeout_ms","ttl_ms","key"}` — waits for the
///   answer: 200 `succeeded`/`failed` (the device answered), 504 `timed_out`/`expired`, 409 `cancelled`;
///   `?async=true` answers 202 at once. The body is always the command.
/// - `GET /api/v1/commands?device=&limit=`, `GET /api/v1/commands/<id>`, `POST /api/v1/commands/<id>/cancel`
struct DevicesController {
    let control: ControlPlane
    var rules: AccessRules { AccessRules(control: self.control) }

    func addRoutes(to router: Router<SwitchboardRequestContext>) {
        router.get("/api/v1/devices") { _, _ in
            JSONResponse.make(.object([("devices", .array(self.control.devices.list().map(\.json)))]))
        }
        router.get("/api/v1/devices/:id") { request, _ in
            let id = try Self.segment(request, 3)
            guard let device = self.control.devices.device(id) else { throw HubError.notFound("no device '\(id)'") }
            return JSONResponse.make(device.json)
        }
        router.post("/api/v1/devices/:id/commands") { request, context in
            let device = try Self.segment(request, 3)
            try self.rules.checkCommand(try context.requireGrant(), device: device)
            return try await self.send(request, device: device)
        }
        router.get("/api/v1/commands") { request, _ in
            let query = request.uri.queryParameters
            var limit = 100
            if let text = query["limit"] {
                guard let value = Int(text), (1...1000).contains(value) else {
                    throw HubError.badRequest("limit must be a whole number from 1 to 1000")
                }
                limit = value
            }
            let device = query["device"].map { String($0) }
            return JSONResponse.make(.object([("commands", .array(self.control.commands.list(device: device, limit: limit).map(\.json)))]))
        }
        router.get("/api/v1/commands/:id") { request, _ in
            let id = try Self.segment(request, 3)
            guard let command = self.control.commands.command(id) else { throw HubError.notFound("no command '\(id)'") }
            return JSONResponse.make(command.json)
        }
        router.post("/api/v1/commands/:id/cancel") { request, context in
            let id = try Self.segment(request, 3)
            try self.rules.checkCommand(try context.requireGrant(), commandID: id)
            return JSONResponse.make(try self.control.commands.cancel(id).json)
        }
    }

    func send(_ request: Request, device: String) async throws -> Response {
        var isAsync = false
        if let text = request.uri.queryParameters["async"] {
            guard let flag = Bool(String(text)) else { throw HubError.badRequest("async must be true or false, not '\(text)'") }
            isAsync = flag
        }
        let body = try await request.body.collect(upTo: 1 << 20)
        guard body.readableBytes > 0 else { throw HubError.badRequest(#"missing body: {"name":"…","params":{…}}"#) }
        let commandRequest = try CommandRequest(json: try JSONParser.parse(body))
        let command = try await self.control.sendCommand(to: device, commandRequest, waitForAnswer: !isAsync)
        return JSONResponse.make(command.json, status: Self.status(of: command))
    }

    /// 202 while it runs; 200 when the device answered (either way); 504 when no answer came; 409 when cancelled.
    static func status(of command: Command) -> HTTPResponse.Status {
        switch command.state {
        case .queued, .sent: .accepted
        case .succeeded, .failed: .ok
        case .timedOut, .expired: .gatewayTimeout
        case .cancelled: .conflict
        }
    }

    /// The percent-decoded path segment at `index` (0 is `api`).
    static func segment(_ request: Request, _ index: Int) throws(HubError) -> String {
        let segments = RequestTopic.tail(request, dropping: 0)
        guard segments.count > index, !segments[index].isEmpty else { throw .badRequest("missing id in the path") }
        return segments[index]
    }
}
