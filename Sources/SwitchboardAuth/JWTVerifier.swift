import Foundation
import JWTKit
public import SwitchboardCore

/// Verifies HS256 JWTs issued by an existing backend, so its users need no
/// Switchboard token. Scopes come from the `scope` claim (space-separated, as
/// in OAuth 2) or a `scopes` array; `exp` is required.
public struct JWTVerifier: Sendable {
    let secret: String

    public init(secret: String) {
        self.secret = secret
    }

    /// The grant of a valid token, or `unauthorized` saying why not.
    public func verify(_ token: String) async -> Result<Grant, HubError> {
        let claims: Claims
        do {
            // A collection is cheap to make; keeping one would need an async init.
            let keys = JWTKeyCollection()
            await keys.add(hmac: HMACKey(from: self.secret), digestAlgorithm: .sha256)
            claims = try await keys.verify(token, as: Claims.self)
        } catch let error as JWTError where error.errorType == .claimVerificationFailure {
            return .failure(.unauthorized("the JWT has expired"))
        } catch {
            return .failure(.unauthorized("the JWT is not valid: bad signature, algorithm or shape"))
        }
        var scopes: [Scope] = []
        for text in (claims.scope?.split(separator: " ").map(String.init) ?? []) + (claims.scopes ?? []) {
            do throws(HubError) {
                scopes.append(try Scope(parsing: text))
            } catch {
                return .failure(.unauthorized("the JWT has a scope this hub cannot read: \(error.message)"))
            }
        }
        return .success(Grant(subject: "jwt:\(claims.sub?.value ?? "?")", scopes: scopes))
    }

    struct Claims: JWTPayload {
        var exp: ExpirationClaim
        var sub: SubjectClaim?
        var scope: String?
        var scopes: [String]?

        func verify(using algorithm: some JWTAlgorithm) async throws {
            try self.exp.verifyNotExpired()
        }
    }
}
