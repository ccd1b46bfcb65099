import Foundation
import HummingbirdBcrypt
public import SwitchboardCore

/// A dashboard user: a name, a bcrypt hash of the password and a role.
public struct Account: Codable, Sendable, Equatable {
    public var name: String
    public var passwordHash: String
    public var role: Role
    public var createdMs: Int64

    enum CodingKeys: String, CodingKey {
        case name, role
        case passwordHash = "password_hash"
        case createdMs = "created_ms"
    }

    /// What an account may do in the dashboard and the API.
    public enum Role: String, Codable, Sendable, CaseIterable {
        /// Sees every topic, device, source and command.
        case viewer
        /// A viewer who also publishes, sends commands and starts/stops (non-exec) sources.
        case `operator`
        /// Everything, including exec sources and tokens.
        case admin

        public var scopes: [Scope] {
            let all = try! TopicPattern(validating: "#")
            let system = try! TopicPattern(validating: "$sys/#")
            switch self {
            case .viewer: return [.subscribe(all), .subscribe(system)]
            case .operator: return [.subscribe(all), .subscribe(system), .publish(all), .command(all)]
            case .admin: return [.admin]
            }
        }
    }

    /// The collection accounts are kept in.
    public static let collection = "accounts"
    /// bcrypt's cost: about 50 ms per check on this class of machine, so guessing is slow and logging in is not.
    static let bcryptCost: UInt8 = 10

    public init(name: String, password: String, role: Role, nowMs: Int64) throws(HubError) {
        try Self.validate(name: name)
        try Self.validate(password: password)
        self.name = name
        self.passwordHash = Bcrypt.hash(password, cost: Self.bcryptCost)
        self.role = role
        self.createdMs = nowMs
    }

    public mutating func setPassword(_ password: String) throws(HubError) {
        try Self.validate(password: password)
        self.passwordHash = Bcrypt.hash(password, cost: Self.bcryptCost)
    }

    public func verify(password: String) -> Bool {
        Bcrypt.verify(password, hash: self.passwordHash)
    }

    static func validate(name: String) throws(HubError) {
        guard !name.isEmpty, name.utf8.count <= 64,
            name.unicodeScalars.allSatisfy({ CharacterSet.alphanumerics.contains($0) || "._-@".unicodeScalars.contains($0) })
        else {
            throw .badRequest("a user name is 1–64 letters, digits or . _ - @, not '\(name)'")
        }
    }

    static func validate(password: String) throws(HubError) {
        guard password.count >= 8 else { throw .badRequest("a password needs at least 8 characters") }
        guard password.utf8.count <= 72 else { throw .badRequest("a password may have at most 72 bytes (bcrypt's limit)") }
    }
}
