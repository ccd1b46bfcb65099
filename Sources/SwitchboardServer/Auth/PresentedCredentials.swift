import Foundation
import SwitchboardAuth
import SwitchboardCore

/// What a request or WebSocket upgrade presented: a token (`Authorization:
/// Bearer`, or `?token=` for clients that cannot set headers, such as browsers'
/// WebSocket and OBS), or a session cookie.
struct PresentedCredentials: Sendable {
    var token: String?
    var sessionID: String?

    static let sessionCookie = "switchboard_session"
    /// The refusal for a request that brought no credentials to a hub that needs them.
    static let missing = Authenticator.missing

    init(authorization: String?, queryToken: String?, cookie: String?) {
        if let authorization, authorization.lowercased().hasPrefix("bearer ") {
            self.token = String(authorization.dropFirst("bearer ".count)).trimmingCharacters(in: .whitespaces)
        } else if let queryToken, !queryToken.isEmpty {
            self.token = queryToken
        }
        self.sessionID = cookie.flatMap { Self.cookieValue(Self.sessionCookie, in: $0) }
    }

    static func cookieValue(_ name: String, in header: String) -> String? {
        for pair in header.split(separator: ";") {
            let parts = pair.split(separator: "=", maxSplits: 1)
            if parts.count == 2, parts[0].trimmingCharacters(in: .whitespaces) == name {
                return parts[1].trimmingCharacters(in: .whitespaces)
            }
        }
        return nil
    }

    /// How the client authenticated, which decides whether CSRF and Origin checks apply.
    enum Outcome: Sendable {
        case token(Grant)
        case session(LoginSession)
        case anonymous(Grant)
        case refused(HubError)

        var grant: Grant? {
            switch self {
            case .token(let grant), .anonymous(let grant): grant
            case .session(let session): session.grant
            case .refused: nil
            }
        }
    }

    /// The outcome without suspending, for the event loop; `nil` when a JWT must be verified.
    /// A token wins over a cookie; a cookie that names no live session counts as none.
    func resolveNow(with authenticator: Authenticator) -> Outcome? {
        if let token = self.token {
            if Authenticator.isJWT(token) { return nil }
            switch authenticator.authenticate(switchboardToken: token) {
            case .success(let grant): return .token(grant)
            case .failure(let error): return .refused(error)
            }
        }
        if let id = self.sessionID, let session = authenticator.session(id: id) {
            return .session(session)
        }
        return authenticator.isRequired ? .refused(Self.missing) : .anonymous(.anonymous)
    }

    /// ``resolveNow(with:)``, verifying a JWT (the one case that suspends) when that is what was sent.
    func resolve(with authenticator: Authenticator) async -> Outcome {
        if let outcome = self.resolveNow(with: authenticator) { return outcome }
        switch await authenticator.authenticate(token: self.token) {
        case .success(let grant): return .token(grant)
        case .failure(let error): return .refused(error)
        }
    }
}
