import HTTPTypes
import Hummingbird
import SwitchboardAuth
import SwitchboardCore

/// Authenticates every HTTP request and puts its ``Grant`` in the context;
/// the routes then check the scope their action needs.
///
/// Open without credentials: `/healthz`, the login page and the static pages
/// and assets (they hold no data: the page fetches data with the viewer's
/// credentials). A request authenticated by a session cookie that changes
/// something must carry the session's CSRF token in `X-CSRF-Token`: another
/// site can make a browser send the cookie, not read the token.
struct AuthMiddleware: RouterMiddleware {
    typealias Context = SwitchboardRequestContext
    let authenticator: Authenticator

    static let csrfHeader = HTTPField.Name("X-CSRF-Token")!

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if Self.isOpen(request.uri.path) { return try await next(request, context) }
        let presented = PresentedCredentials(
            authorization: request.headers[.authorization], queryToken: request.uri.queryParameters["token"].map(String.init),
            cookie: request.headers[.cookie])
        var context = context
        switch await presented.resolve(with: self.authenticator) {
        case .refused(let error):
            throw error
        case .token(let grant), .anonymous(let grant):
            context.grant = grant
        case .session(let session):
            if Self.changesState(request.method), request.headers[Self.csrfHeader] != session.csrf {
                throw HubError.forbidden("missing or wrong CSRF token: send the session's csrf (GET /api/v1/session) in X-CSRF-Token")
            }
            context.grant = session.grant
            context.session = session
        }
        return try await next(request, context)
    }

    static func isOpen(_ path: String) -> Bool {
        path == "/healthz" || path == "/login" || path == "/" || path.hasPrefix("/assets/") || path.hasPrefix("/overlay/")
    }

    static func changesState(_ method: HTTPRequest.Method) -> Bool {
        !(method == .get || method == .head || method == .options)
    }
}

extension SwitchboardRequestContext {
    /// The request's grant; routes behind ``AuthMiddleware`` always have one.
    func requireGrant() throws(HubError) -> Grant {
        guard let grant = self.grant else { throw HubError.unauthorized("no credentials") }
        return grant
    }
}
