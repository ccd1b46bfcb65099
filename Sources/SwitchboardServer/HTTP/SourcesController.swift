import Hummingbird
import NIOCore
import SwitchboardControl
import SwitchboardCore

/// Managed sources over REST:
/// - `GET /api/v1/sources` → `{"sources":[…]}`
/// - `POST /api/v1/sources` `{"name","kind","topic","params","state"}` → 201 and the source
/// - `GET /api/v1/sources/<name>`, `POST /api/v1/sources/<name>/start|stop`, `DELETE /api/v1/sources/<name>`
///
/// Every change is on `$sys/sources` before the answer is sent.
struct SourcesController {
    let sources: SourceRegistry

    /// Largest body a source definition may have.
    static let maxBodyBytes = 64 * 1024

    func addRoutes(to router: Router<SwitchboardRequestContext>) {
        router.get("/api/v1/sources") { _, _ in
            JSONResponse.make(.object([("sources", .array(await self.sources.list()))]))
        }
        router.post("/api/v1/sources") { request, _ in
            let body = try await request.body.collect(upTo: Self.maxBodyBytes)
            let created = try await self.sources.create(try JSONParser.parse(body))
            return JSONResponse.make(created, status: .created)
        }
        router.get("/api/v1/sources/:name") { _, context in
            JSONResponse.make(try await self.sources.get(try context.parameters.require("name")))
        }
        router.delete("/api/v1/sources/:name") { _, context in
            JSONResponse.make(try await self.sources.delete(try context.parameters.require("name")))
        }
        router.post("/api/v1/sources/:name/:action") { _, context in
            let name = try context.parameters.require("name")
            switch try context.parameters.require("action") {
            case "start": return JSONResponse.make(try await self.sources.start(name))
            case "stop": return JSONResponse.make(try await self.sources.stop(name))
            case let action: throw HubError.notFound("no source action '\(action)'; use /api/v1/sources/<name>/start or /stop")
            }
        }
    }
}
