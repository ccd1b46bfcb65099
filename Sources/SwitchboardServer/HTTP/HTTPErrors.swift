import Logging
import HTTPTypes
import Hummingbird
import NIOCore
import SwitchboardCore

extension HubError: ResponseGenerator {}
extension HubError: HTTPResponseError {
    /// The HTTP status that fits the error code.
    public var status: HTTPResponse.Status { .init(code: self.httpStatus) }

    /// `{"error":{"code":…,"message":…}}` with the fitting status.
    public func response(from request: Request, context: some RequestContext) throws -> Response {
        ServerMetrics.shared.error(code: self.code, transport: "http")
        return JSONResponse.make(JSONValue.object([("error", self.json)]), status: self.status)
    }
}

/// Turns every error that leaves a route — ours, Hummingbird's (404, 413), or
/// unexpected ones — into SPEC's `{"error":{"code","message"}}` body.
struct ErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as HubError {
            throw error
        } catch let error as HTTPError {
            throw Self.translate(error, request: request)
        } catch {
            context.logger.error("Request failed", metadata: ["error.type": "\(error)", "http.path": "\(request.uri.path)"])
            throw HubError.internal("unexpected error; see the hub's log")
        }
    }

    static func translate(_ error: HTTPError, request: Request) -> HubError {
        switch error.status {
        case .notFound: .notFound(error.body ?? "no route for \(request.method) \(request.uri.path)")
        case .contentTooLarge: .tooLarge(error.body ?? "request body too large")
        case .methodNotAllowed: .init(code: "bad_request", message: "method \(request.method) not allowed here")
        case .unsupportedMediaType: .unsupportedMediaType(error.body ?? "unsupported content type")
        case .badRequest: .badRequest(error.body ?? "bad request")
        default: .init(code: error.status.code >= 500 ? "internal" : "bad_request", message: error.body ?? error.status.reasonPhrase)
        }
    }
}

/// Building JSON responses.
enum JSONResponse {
    static func make(_ value: JSONValue, status: HTTPResponse.Status = .ok) -> Response {
        Self.make(text: value.serialized, status: status)
    }

    static func make(text: String, status: HTTPResponse.Status = .ok) -> Response {
        Response(
            status: status,
            headers: [.contentType: "application/json"],
            body: .init(byteBuffer: ByteBuffer(string: text))
        )
    }
}
