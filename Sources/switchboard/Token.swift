import ArgumentParser
import Foundation
import Logging
import SwitchboardAuth
import SwitchboardCore
import SwitchboardServer
import SwitchboardStore

/// `switchboard token create|list|revoke`: access tokens, kept hashed in the
/// data directory. A running hub picks up changes within two seconds.
struct TokenCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "token",
        abstract: "Create, list and revoke access tokens (scopes pub:<pattern>, sub:<pattern>, cmd:<device pattern>, admin).",
        subcommands: [Create.self, List.self, Revoke.self]
    )

    struct Create: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a token and print it (on the last line; it is shown only this once).",
            discussion: "Example: switchboard token create --scope pub:lab/# --scope sub:lab/# --label esp32-lab"
        )
        @Option(name: .customLong("scope"), help: "A scope; repeat for several.")
        var scopes: [String] = []
        @Option(help: "A note saying what the token is for.")
        var label: String?
        @Option(help: "Lifetime, e.g. 90d or 12h (default: never expires).")
        var expires: String?
        @OptionGroup var data: DataDirectoryOption

        func run() throws {
            guard !self.scopes.isEmpty else { throw ValidationError("give at least one --scope (pub:<pattern>, sub:<pattern>, cmd:<device pattern> or admin)") }
            var parsed: [Scope] = []
            for text in self.scopes {
                do throws(HubError) { parsed.append(try Scope(parsing: text)) } catch { throw ValidationError(error.message) }
            }
            let now = Authenticator.nowMs()
            var expiresMs: Int64?
            if let expires = self.expires {
                guard let lifetime = try? DurationText.milliseconds(expires) else { throw ValidationError("--expires must be a duration such as 90d or 12h") }
                expiresMs = now + lifetime
            }
            let (record, token) = TokenRecord.make(scopes: parsed, label: self.label, expiresMs: expiresMs, nowMs: now)
            let store = try self.data.open()
            defer { try? store.close() }
            try store.saveDocument(collection: TokenRecord.collection, id: record.id, body: try record.jsonText())
            print("Created token \(record.id) with scopes \(record.scopes.joined(separator: " ")). Keep it secret; it is not shown again:")
            print(token)
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List tokens (ids, scopes, labels; never the secrets).")
        @Flag(help: "One JSON object per token.")
        var json = false
        @OptionGroup var data: DataDirectoryOption

        func run() throws {
            let store = try self.data.open()
            defer { try? store.close() }
            let records = try store.loadDocuments(collection: TokenRecord.collection).compactMap {
                try? JSONDecoder().decode(TokenRecord.self, from: Data($0.body.utf8))
            }
            if self.json {
                for record in records {
                    var public_ = record
                    public_.hash = ""
                    print(try public_.jsonText())
                }
                return
            }
            guard !records.isEmpty else {
                print("No tokens: the hub is open to local clients. Create one with: switchboard token create --scope …")
                return
            }
            for record in records {
                let created = Date(timeIntervalSince1970: Double(record.createdMs) / 1000).formatted(.iso8601)
                let expires = record.expiresMs.map { Date(timeIntervalSince1970: Double($0) / 1000).formatted(.iso8601) } ?? "never"
                print("\(record.id)  \(record.scopes.joined(separator: " "))  created \(created)  expires \(expires)  \(record.label ?? "")")
            }
        }
    }

    struct Revoke: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke a token, given its id or the token itself.")
        @Argument(help: "The token's id (from token list) or the token.")
        var token: String
        @OptionGroup var data: DataDirectoryOption

        func run() throws {
            let id = TokenRecord.id(inToken: self.token) ?? self.token
            let store = try self.data.open()
            defer { try? store.close() }
            guard try store.loadDocuments(collection: TokenRecord.collection).contains(where: { $0.id == id }) else {
                throw ValidationError("no token with id '\(id)' (see switchboard token list)")
            }
            try store.deleteDocument(collection: TokenRecord.collection, id: id)
            print("Revoked token \(id).")
        }
    }
}

/// `--data DIR` for commands that work on the hub's files directly.
struct DataDirectoryOption: ParsableArguments {
    @Option(help: "The hub's data directory (default: $SWITCHBOARD_DATA or ./data).")
    var data: String = ProcessInfo.processInfo.environment["SWITCHBOARD_DATA"] ?? "./data"

    func open() throws -> SQLiteStore {
        try FileManager.default.createDirectory(atPath: self.data, withIntermediateDirectories: true)
        var logger = Logger(label: "switchboard")
        logger.logLevel = .error
        return try SQLiteStore(directory: self.data, logger: logger)
    }
}

/// Durations as the config file writes them (`30d`, `12h`).
enum DurationText {
    static func milliseconds(_ text: String) throws -> Int64 {
        guard let ms = try SwitchboardConfiguration.duration(text) else { throw ValidationError("'\(text)' is not a finite duration") }
        return ms
    }
}
