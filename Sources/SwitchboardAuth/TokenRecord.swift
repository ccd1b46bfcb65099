import Crypto
import Foundation
import SwitchboardCore

/// A stored access token: only the SHA-256 of the secret is kept, so a copy
/// of the database file does not give away working tokens.
///
/// A token reads `sbt_<id>_<secret>`: the id (8 hex digits) names it in
/// `token list` and `token revoke`, the secret is 32 random bytes in hex.
public struct TokenRecord: Codable, Sendable, Equatable {
    public var id: String
    /// SHA-256 of the whole token text, hex.
    public var hash: String
    public var scopes: [String]
    public var label: String?
    /// Milliseconds since the epoch.
    public var createdMs: Int64
    /// When the token stops working (ms since the epoch), or `nil` for never.
    public var expiresMs: Int64?

    enum CodingKeys: String, CodingKey {
        case id, hash, scopes, label
        case createdMs = "created_ms"
        case expiresMs = "expires_ms"
    }

    /// The collection tokens are kept in (the store's `documents`).
    public static let collection = "tokens"
    static let prefix = "sbt_"

    /// Makes a new token for `scopes`: returns the record to store and the token text to hand out once.
    public static func make(scopes: [Scope], label: String?, expiresMs: Int64? = nil, nowMs: Int64) -> (record: TokenRecord, token: String) {
        let id = randomHex(bytes: 4)
        let token = prefix + id + "_" + randomHex(bytes: 32)
        let record = TokenRecord(
            id: id, hash: hash(token), scopes: scopes.map(\.description), label: label, createdMs: nowMs, expiresMs: expiresMs)
        return (record, token)
    }

    /// SHA-256 of `token`, hex.
    public static func hash(_ token: String) -> String {
        SHA256.hash(data: Data(token.utf8)).map { String(format: "%02x", $0) }.joined()
    }

    /// The id inside a token's text, if it has the `sbt_<id>_` shape.
    public static func id(inToken token: String) -> String? {
        guard token.hasPrefix(prefix) else { return nil }
        let rest = token.dropFirst(prefix.count)
        guard let underscore = rest.firstIndex(of: "_") else { return nil }
        return String(rest[..<underscore])
    }

    static func randomHex(bytes: Int) -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<bytes).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &generator)) }.joined()
    }

    /// The scopes parsed; a record with a scope this version cannot read grants nothing for it.
    public var parsedScopes: [Scope] { self.scopes.compactMap { try? Scope(parsing: $0) } }
}

extension Encodable {
    /// The record as stored in the documents table: compact JSON with sorted keys.
    public func jsonText() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(self), as: UTF8.self)
    }
}
