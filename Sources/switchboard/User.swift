import ArgumentParser
import Foundation
import SwitchboardAuth
import SwitchboardCore
import SwitchboardStore

/// `switchboard user add|passwd|remove|list`: dashboard accounts (bcrypt), kept in
/// the data directory. A running hub picks up changes within two seconds.
struct UserCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "user",
        abstract: "Manage dashboard accounts (roles viewer, operator, admin).",
        subcommands: [Add.self, Passwd.self, Remove.self, List.self]
    )

    /// The password from `--password`, else the first line of stdin (so it stays out of the shell history).
    struct PasswordOption: ParsableArguments {
        @Option(help: "The password (default: read one line from stdin).")
        var password: String?

        func read() throws -> String {
            if let password = self.password { return password }
            guard let line = Swift.readLine(strippingNewline: true), !line.isEmpty else {
                throw ValidationError("give --password or write the password on stdin")
            }
            return line
        }
    }

    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Add an account.", discussion: "Example: echo 's3cret-pass' | switchboard user add alice --role operator")
        @Argument var name: String
        @Option(help: "viewer, operator or admin.")
        var role: String = "viewer"
        @OptionGroup var password: PasswordOption
        @OptionGroup var data: DataDirectoryOption

        func run() throws {
            guard let role = Account.Role(rawValue: self.role) else { throw ValidationError("--role must be viewer, operator or admin") }
            let store = try self.data.open()
            defer { try? store.close() }
            guard try !store.loadDocuments(collection: Account.collection).contains(where: { $0.id == self.name }) else {
                throw ValidationError("user '\(self.name)' exists; use switchboard user passwd")
            }
            do {
                let account = try Account(name: self.name, password: try self.password.read(), role: role, nowMs: Authenticator.nowMs())
                try store.saveDocument(collection: Account.collection, id: account.name, body: try account.jsonText())
            } catch let error as HubError {
                throw ValidationError(error.message)
            }
            print("Added \(role.rawValue) '\(self.name)'.")
        }
    }

    struct Passwd: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Set an account's password (and, with --role, its role).")
        @Argument var name: String
        @Option(help: "A new role: viewer, operator or admin.")
        var role: String?
        @OptionGroup var password: PasswordOption
        @OptionGroup var data: DataDirectoryOption

        func run() throws {
            let store = try self.data.open()
            defer { try? store.close() }
            guard let document = try store.loadDocuments(collection: Account.collection).first(where: { $0.id == self.name }) else {
                throw ValidationError("no user '\(self.name)'")
            }
            var account = try JSONDecoder().decode(Account.self, from: Data(document.body.utf8))
            if let text = self.role {
                guard let role = Account.Role(rawValue: text) else { throw ValidationError("--role must be viewer, operator or admin") }
                account.role = role
            }
            do { try account.setPassword(try self.password.read()) } catch let error as HubError { throw ValidationError(error.message) }
            try store.saveDocument(collection: Account.collection, id: account.name, body: try account.jsonText())
            print("Updated '\(self.name)'.")
        }
    }

    struct Remove: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Remove an account (its sessions end).")
        @Argument var name: String
        @OptionGroup var data: DataDirectoryOption

        func run() throws {
            let store = try self.data.open()
            defer { try? store.close() }
            guard try store.loadDocuments(collection: Account.collection).contains(where: { $0.id == self.name }) else {
                throw ValidationError("no user '\(self.name)'")
            }
            try store.deleteDocument(collection: Account.collection, id: self.name)
            print("Removed '\(self.name)'.")
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List accounts and their roles.")
        @OptionGroup var data: DataDirectoryOption

        func run() throws {
            let store = try self.data.open()
            defer { try? store.close() }
            for document in try store.loadDocuments(collection: Account.collection) {
                guard let account = try? JSONDecoder().decode(Account.self, from: Data(document.body.utf8)) else { continue }
                print("\(account.name)  \(account.role.rawValue)")
            }
        }
    }
}
