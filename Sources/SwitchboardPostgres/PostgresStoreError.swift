public import PostgresNIO

/// A PostgreSQL store failure said in words a person can act on: which server, and what is wrong.
/// PostgreSQL's own message follows (its SQLSTATE code in brackets).
public struct PostgresStoreError: Error, CustomStringConvertible {
    public enum Reason: Sendable, Equatable {
        /// The store URL is not a usable `postgres://` URL.
        case badURL
        /// Nothing answers at the URL's host and port (or the connection broke).
        case unreachable
        /// The server answered but refused the login or the database.
        case refused
        /// A message's (topic, seq) is already stored: another writer got there first. Nothing of the batch was stored.
        case duplicateSeq
        /// The database was migrated by a newer switchboard than this one.
        case schemaTooNew
        /// The store was closed.
        case closed
        /// Anything else.
        case other
    }

    public let reason: Reason
    public let description: String
    public let underlying: (any Error)?

    init(_ reason: Reason, _ description: String, underlying: (any Error)? = nil) {
        self.reason = reason
        self.description = description
        self.underlying = underlying
    }

    /// Classifies `error`, which a query (or connecting) to the server at `endpoint` threw.
    init(_ error: any Error, endpoint: String, doing action: String) {
        if let known = error as? PostgresStoreError {
            self = known
            return
        }
        if let unanswered = error as? UnansweredStatement {
            self.init(.unreachable, "PostgreSQL at \(endpoint) did not answer within \(unanswered.seconds) (\(action)); the connection was dropped", underlying: error)
            return
        }
        let detail = Self.detail(error)
        guard let psql = error as? PSQLError else {
            self.init(.other, "PostgreSQL at \(endpoint): \(action) failed: \(detail)", underlying: error)
            return
        }
        let state = psql.serverInfo?[.sqlState] ?? ""
        switch psql.code {
        case .connectionError, .serverClosedConnection, .uncleanShutdown:
            self.init(.unreachable, "cannot reach PostgreSQL at \(endpoint) (\(action)): \(detail)", underlying: error)
        case .clientClosedConnection:
            self.init(.closed, "the PostgreSQL store was closed (\(action))", underlying: error)
        case .unsupportedAuthMechanism, .authMechanismRequiresPassword, .saslError:
            self.init(.refused, "PostgreSQL at \(endpoint) refused the login: \(detail)", underlying: error)
        case .server where state == "23505" && psql.serverInfo?[.constraintName] == "messages_pkey":
            // Another writer (a second hub on the same database) stored this seq first.
            self.init(.duplicateSeq, "a message's seq is already stored, so nothing of the batch was (\(detail))", underlying: error)
        case .server where state.hasPrefix("28") || state == "3D000":
            // 28xxx: authentication; 3D000: no such database.
            self.init(.refused, "PostgreSQL at \(endpoint) refused the connection: \(detail)", underlying: error)
        case .server where state.hasPrefix("57P") || state.hasPrefix("08"):
            // 57P0x: the server is shutting down; 08xxx: the connection broke.
            self.init(.unreachable, "PostgreSQL at \(endpoint) went away (\(action)): \(detail)", underlying: error)
        default:
            self.init(.other, "PostgreSQL at \(endpoint): \(action) failed: \(detail)", underlying: error)
        }
    }

    /// The useful part of `error`: `PSQLError`'s own description hides everything on purpose.
    static func detail(_ error: any Error) -> String {
        guard let psql = error as? PSQLError else { return "\(error)" }
        if let info = psql.serverInfo {
            var text = info[.message] ?? "server error"
            if let detail = info[.detail] { text += "; \(detail)" }
            if let state = info[.sqlState] { text += " [\(state)]" }
            return text
        }
        if let underlying = psql.underlying { return "\(underlying)" }
        return "\(psql.code)"
    }
}
