import SwitchboardCore
import SwitchboardMQTT

/// The one place where MQTT credentials and scopes are checked.
///
/// CONNECT's user name and password go to ``authenticate``; its answer decides
/// what the connection may do, and the connection asks ``Permissions`` before each
/// publish, subscription and command. The hub uses ``authenticating(with:)`` (tokens, JWTs,
/// accounts: the same scopes as every transport); ``open`` lets everyone in.
struct MQTTAccess: Sendable {
    /// What one connection may do, decided once at CONNECT.
    struct Permissions: Sendable {
        var mayPublish: @Sendable (Topic) -> Bool
        var maySubscribe: @Sendable (TopicPattern) -> Bool
        var mayCommand: @Sendable (_ device: String) -> Bool

        static let all = Permissions(mayPublish: { _ in true }, maySubscribe: { _ in true }, mayCommand: { _ in true })
    }

    /// Checks a CONNECT's credentials: the permissions, or the CONNACK code that refuses
    /// (`badUsernameOrPassword`, `notAuthorized`). The password is a token or an account's password.
    var authenticate: @Sendable (_ username: String?, _ password: [UInt8]?) async -> Result<Permissions, ConnAck.ReturnCode>

    /// Open access: the hub has no tokens or accounts.
    static let open = MQTTAccess(authenticate: { _, _ in .success(.all) })
}

/// CONNACK refusals travel as the failure of ``MQTTAccess/authenticate``.
extension ConnAck.ReturnCode: Error {}
