import Hummingbird
import NIOCore
import SwitchboardControl
import SwitchboardAuth
import SwitchboardCore

/// Managed sources over REST:
/// - `GET /api/v1/sources` → `{"sources":[…]}`
/// - `POST /api/v1/sources` `{"name","kind","topic","params","state"}` → 201 and the source
/// - `GET /api/v1/sources/<name>`, `POST /api/v1/sources/<name>/start|stop`, `DELETE /api/v1/sources/<name>`
///
/// Every change is on `$sys/sources` before the answer is sent.
struct SourcesController {
    let sources: SourceRegistry
    let rules: AccessRules

    /// Largest body a source definition may have.
    static let maxBodyBytes = 64 * 1024

    func addRoutes(to router: Router<SwitchboardRequestContext>) {
        router.get("/api/v1/sources") { _, _ in
            JSONResponse.make(.object([("sources", .array(await self.sources.list()))]))
        }
        router.post("/api/v1/sources") { request, context in
            let body = try await request.body.collect(upTo: Self.maxBodyBytes)
            let definition = try JSONParser.parse(body)
            try self.rules.checkSourceChange(try context.requireGrant(), definition: definition)
            let created = try await self.sources.create(definition)
            return JSONResponse.make(created, status: .created)
        }
        router.get("/api/v1/sources/:name") { _, context in
            JSONResponse.make(try await self.sources.get(try context.parameters.require("name")))
        }
        router.delete("/api/v1/sources/:name") { _, context in
            let name = try context.parameters.require("name")
            try await self.rules.checkSourceChange(try context.requireGrant(), name: name)
            return JSONResponse.make(try await self.sources.delete(name))
        }
        router.post("/api/v1/sources/:name/:action") { _, context in
            let name = try context.parameters.require("name")
            try await self.rules.checkSourceChange(try context.requireGrant(), name: name)
            switch try context.parameters.require("action") {
            case "start": return JSONResponse.make(try await self.sources.start(name))
            case "stop": return JSONResponse.make(try await self.sources.stop(name))
            case let action: throw HubError.notFound("no source action '\(action)'; use /api/v1/sources/<name>/start or /stop")
            }
        }
    }
}
