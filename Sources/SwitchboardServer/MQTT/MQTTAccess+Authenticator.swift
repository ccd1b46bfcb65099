import SwitchboardAuth
import SwitchboardCore
import SwitchboardMQTT

extension MQTTAccess {
    /// CONNECT's credentials checked like every other transport's: the password is a
    /// token (Switchboard or JWT), or, with a user name, an account's password.
    /// No password on a hub without credentials is anonymous; on one with credentials,
    /// CONNACK 5 (not authorized). A wrong token or password is CONNACK 4.
    static func authenticating(with authenticator: Authenticator) -> MQTTAccess {
        MQTTAccess { username, password in
            let secret = password.map { String(decoding: $0, as: UTF8.self) } ?? ""
            let grant: Grant
            if secret.isEmpty {
                guard !authenticator.isRequired else { return .failure(.notAuthorized) }
                grant = .anonymous
            } else if let user = username, !user.isEmpty, TokenRecord.id(inToken: secret) == nil, !Authenticator.isJWT(secret) {
                // bcrypt takes ~50 ms: this closure already runs off the event loop.
                guard let session = authenticator.login(user: user, password: secret) else { return .failure(.badUsernameOrPassword) }
                authenticator.logout(sessionID: session.id)
                grant = session.grant
            } else {
                switch await authenticator.authenticate(token: secret) {
                case .success(let granted): grant = granted
                case .failure: return .failure(.badUsernameOrPassword)
                }
            }
            return .success(Permissions(grant))
        }
    }
}

extension MQTTAccess.Permissions {
    init(_ grant: Grant) {
        self.init(mayPublish: grant.mayPublish, maySubscribe: grant.maySubscribe, mayCommand: grant.mayCommand)
    }
}
