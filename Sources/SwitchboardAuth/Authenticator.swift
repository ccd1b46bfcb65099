import Foundation
import HummingbirdBcrypt
public import Logging
public import SwitchboardCore
import Synchronization

/// Turns credentials (a token, a JWT, a session cookie, a user name and
/// password) into a ``Grant``, and decides whether credentials are needed at all.
///
/// Tokens and accounts live in the store's documents, written by the CLI
/// (`switchboard token create`, `user add`) even while the hub runs; the hub
/// re-reads them every ``reloadInterval`` and whenever an unknown token shows
/// up, so new and revoked tokens take effect without a restart. Sessions are
/// kept in memory: a restart logs everyone out.
public final class Authenticator: Sendable {
    let store: any DocumentStore
    let jwt: JWTVerifier?
    let logger: Logger
    let sessionTTLMs: Int64
    private let state = Mutex(State())

    struct State {
        var tokens: [String: TokenRecord] = [:]  // by hash
        var accounts: [String: Account] = [:]
        var sessions: [String: LoginSession] = [:]
        var lastReload = ContinuousClock.now - .seconds(60)
        var lastMissReload = ContinuousClock.now - .seconds(60)
    }

    /// How often tokens and accounts are re-read from the store.
    public static let reloadInterval = Duration.seconds(2)
    /// Unknown tokens cause at most one extra reload per this interval, so guessing cannot hammer the store.
    static let missReloadInterval = Duration.milliseconds(200)

    public init(store: any DocumentStore, jwt: JWTVerifier?, sessionTTL: Duration = .seconds(12 * 3600), logger: Logger) throws {
        self.store = store
        self.jwt = jwt
        self.logger = logger
        self.sessionTTLMs = sessionTTL.components.seconds * 1000
        try self.reload()
    }

    /// Whether any credential exists: then every request needs one (except `/healthz`).
    public var isRequired: Bool {
        self.jwt != nil || self.state.withLock { !$0.tokens.isEmpty || !$0.accounts.isEmpty }
    }

    /// Re-reads tokens and accounts from the store.
    public func reload() throws {
        let tokens = try self.store.loadDocuments(collection: TokenRecord.collection).compactMap { document -> TokenRecord? in
            try? JSONDecoder().decode(TokenRecord.self, from: Data(document.body.utf8))
        }
        let accounts = try self.store.loadDocuments(collection: Account.collection).compactMap { document -> Account? in
            try? JSONDecoder().decode(Account.self, from: Data(document.body.utf8))
        }
        self.state.withLock { state in
            state.tokens = Dictionary(tokens.map { ($0.hash, $0) }, uniquingKeysWith: { first, _ in first })
            state.accounts = Dictionary(accounts.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
            // A removed account's sessions end with it; a changed role applies at once.
            state.sessions = state.sessions.filter { state.accounts[$0.value.user] != nil }
            state.lastReload = .now
        }
    }

    /// Reloads if the last reload is older than `age`; errors are logged, the old state kept.
    public func reloadIfOlder(than age: Duration) {
        let due = self.state.withLock { ContinuousClock.now - $0.lastReload >= age }
        if due { self.reloadKeepingOldStateOnError() }
    }

    private func reloadKeepingOldStateOnError() {
        do { try self.reload() } catch { self.logger.warning("Reloading tokens failed", metadata: ["error.type": "\(error)"]) }
    }

    // MARK: - Tokens

    /// Whether checking `token` needs ``authenticate(token:)``'s suspension (a JWT); Switchboard tokens do not.
    public static func isJWT(_ token: String) -> Bool {
        TokenRecord.id(inToken: token) == nil && token.split(separator: ".", omittingEmptySubsequences: false).count == 3
    }

    /// The grant for `token` (a Switchboard token or a JWT), or for no token at all.
    public func authenticate(token: String?) async -> Result<Grant, HubError> {
        guard let token, !token.isEmpty else {
            return self.isRequired ? .failure(Self.missing) : .success(.anonymous)
        }
        if TokenRecord.id(inToken: token) != nil {
            return self.authenticate(switchboardToken: token)
        }
        if token.split(separator: ".", omittingEmptySubsequences: false).count == 3 {
            guard let jwt = self.jwt else { return .failure(.unauthorized("JWTs are not accepted: the hub has no jwt_secret")) }
            return await jwt.verify(token)
        }
        return .failure(.unauthorized("the token is not a Switchboard token (sbt_…) or a JWT"))
    }

    /// A Switchboard token's grant, synchronously (no JWT).
    public func authenticate(switchboardToken token: String) -> Result<Grant, HubError> {
        let hash = TokenRecord.hash(token)
        var record = self.state.withLock { $0.tokens[hash] }
        if record == nil {
            // Perhaps created a moment ago by the CLI. Misses are limited on their own clock: a periodic
            // reload that ran just before the CLI wrote the token must not make the new token wait for the next one.
            let due = self.state.withLock { state in
                let now = ContinuousClock.now
                guard now - state.lastMissReload >= Self.missReloadInterval else { return false }
                state.lastMissReload = now
                return true
            }
            if due { self.reloadKeepingOldStateOnError() }
            record = self.state.withLock { $0.tokens[hash] }
        }
        guard let record else { return .failure(.unauthorized("unknown or revoked token")) }
        if let expires = record.expiresMs, expires <= Self.nowMs() { return .failure(.unauthorized("the token has expired")) }
        return .success(Grant(subject: "token:\(record.id)", scopes: record.parsedScopes))
    }

    public static let missing = HubError.unauthorized(
        "credentials required: send a token as 'Authorization: Bearer <token>' or '?token=<token>', or log in")

    // MARK: - Accounts and sessions

    /// Checks a user name and password (bcrypt, ~50 ms: call it off the event loops) and opens a session.
    public func login(user: String, password: String) -> LoginSession? {
        guard let account = self.state.withLock({ $0.accounts[user] }) else {
            // As slow as a wrong password, so timing does not tell which user names exist.
            _ = Bcrypt.verify(password, hash: Self.unknownUserHash)
            return nil
        }
        guard account.verify(password: password) else { return nil }
        let session = LoginSession(
            id: TokenRecord.randomHex(bytes: 32), csrf: TokenRecord.randomHex(bytes: 16), user: account.name, role: account.role,
            expiresMs: Self.nowMs() + self.sessionTTLMs)
        self.state.withLock { $0.sessions[session.id] = session }
        return session
    }

    /// The live session with this cookie value; expired ones are removed.
    public func session(id: String) -> LoginSession? {
        self.state.withLock { state in
            guard var session = state.sessions[id] else { return nil }
            if session.expiresMs <= Self.nowMs() {
                state.sessions[id] = nil
                return nil
            }
            // The role is the account's current one.
            if let role = state.accounts[session.user]?.role { session.role = role }
            return session
        }
    }

    public func logout(sessionID: String) {
        _ = self.state.withLock { $0.sessions.removeValue(forKey: sessionID) }
    }

    private static let unknownUserHash = Bcrypt.hash("no such user", cost: Account.bcryptCost)

    public static func nowMs() -> Int64 { Int64(Date().timeIntervalSince1970 * 1000) }
}

/// A logged-in dashboard user, identified by an HttpOnly cookie.
public struct LoginSession: Sendable {
    public let id: String
    /// Sent back in `X-CSRF-Token` by the page on every state-changing request.
    public let csrf: String
    public let user: String
    public var role: Account.Role
    public let expiresMs: Int64

    public var grant: Grant { Grant(subject: "user:\(self.user)", scopes: self.role.scopes) }
}
