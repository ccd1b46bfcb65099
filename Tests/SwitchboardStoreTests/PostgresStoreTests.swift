import Dispatch
import Foundation
import NIOCore
import SwitchboardCore
import SwitchboardPostgres
import SwitchboardTestServices
import Testing

/// What only the PostgreSQL store has: URLs, a server that is not there, and a second hub on the same database.
@Suite(.enabled(if: StoreKind.available.contains(.postgres)))
struct PostgresStoreTests {
    @Test func recognisesPostgresURLs() {
        #expect(PostgresStore.isPostgresURL("postgres://u@h/db"))
        #expect(PostgresStore.isPostgresURL("postgresql://u@h:5433/db"))
        #expect(PostgresStore.isPostgresURL("POSTGRES://u@h/db"))
        #expect(!PostgresStore.isPostgresURL("/var/lib/switchboard"))
        #expect(!PostgresStore.isPostgresURL("redis://h:6379"))
    }

    @Test(arguments: [
        ("/var/lib/switchboard", "expected postgres://"),
        ("postgres://127.0.0.1:5432/db", "no user name"),
        ("postgres://user@/db", "no host"),
        ("postgres://user@host:5432/db/extra", "just the database name"),
        ("postgres://user@host/db?sslmode=require", "sslmode=require"),
        ("postgres://user@host/db?pool=3", "unknown parameter pool"),
    ])
    func badURLsSayWhatIsWrong(_ url: String, _ expected: String) {
        let error = #expect(throws: PostgresStoreError.self) { try PostgresStore(url: url, logger: testLogger) }
        #expect(error?.reason == .badURL)
        #expect(error?.description.contains(expected) == true, "\(error.map(\.description) ?? "")")
    }

    @Test func aBadURLDoesNotRepeatItsPassword() {
        let error = #expect(throws: PostgresStoreError.self) {
            try PostgresStore(url: "postgres://user:hunter2@host/db?pool=3", logger: testLogger)
        }
        #expect(error?.description.contains("hunter2") == false)
    }

    @Test func anUnreachableServerIsNamedByHostAndPort() {
        let port = ServicePorts.free()  // nobody listens there
        let error = #expect(throws: PostgresStoreError.self) {
            try PostgresStore(url: "postgres://switchboard@127.0.0.1:\(port)/db", logger: testLogger)
        }
        #expect(error?.reason == .unreachable)
        #expect(error?.description.contains("127.0.0.1:\(port)") == true, "\(error.map(\.description) ?? "")")
    }

    @Test func aMissingDatabaseIsRefusedClearly() throws {
        let server = try SharedPostgres.server.get()
        let error = #expect(throws: PostgresStoreError.self) {
            try PostgresStore(url: server.url(database: "no_such_database"), logger: testLogger)
        }
        #expect(error?.reason == .refused)
        #expect(error?.description.contains("no_such_database") == true, "\(error.map(\.description) ?? "")")
    }

    @Test func migrationsRunOnceEvenWhenHubsStartTogether() throws {
        let url = try SharedPostgres.server.get().createDatabase()
        let opened = FailureLog()
        DispatchQueue.concurrentPerform(iterations: 3) { _ in
            do {
                try PostgresStore(url: url, logger: testLogger).close()
            } catch {
                opened.add("\(error)")
            }
        }
        #expect(opened.entries.isEmpty)
        // Bounded well below the default minute: a dropped connection's statement once went unanswered here.
        let store = try PostgresStore(url: url, answerTimeout: .seconds(10), logger: testLogger)
        defer { try? store.close() }
        try store.commit(batch(numbered("lab/a", 1...2)))
        #expect(try store.loadTopics().map(\.lastSeq) == [2])
    }

    @Test func aSecondWriterNeverLowersLastSeqAndCannotReuseASeq() throws {
        let url = try SharedPostgres.server.get().createDatabase()
        let one = try PostgresStore(url: url, logger: testLogger)
        let two = try PostgresStore(url: url, logger: testLogger)
        defer {
            try? one.close()
            try? two.close()
        }
        try one.commit(batch(numbered("lab/a", 1...10)))
        // A writer that is behind: its lastSeq for lab/a is lower, but the stored one stays.
        var behind = batch(numbered("lab/b", 1...1))
        behind.lastSeqs["lab/a"] = 4
        try two.commit(behind)
        #expect(try topic("lab/a", in: two)?.lastSeq == 10)
        // A seq the other writer already stored fails the whole batch, said as such.
        let error = #expect(throws: PostgresStoreError.self) { try two.commit(batch(numbered("lab/b", 2...3) + numbered("lab/a", 10...11))) }
        #expect(error?.reason == .duplicateSeq)
        #expect(seqs(try one.messages(topic: "lab/b", after: 0, limit: 10)) == [1])
        #expect(try topic("lab/a", in: one)?.lastSeq == 10)
    }

    @Test func theStoreReconnectsAfterTheServerDroppedItsConnections() throws {
        // Bounded well below the default minute: a dropped connection's statement once went unanswered here.
        let fresh = try FreshDatabase(answerTimeout: .seconds(10))
        let store = fresh.store
        defer { try? store.close() }
        try store.commit(batch(numbered("lab/a", 1...2)))
        #expect(seqs(try store.messages(topic: "lab/a", after: 0, limit: 10)) == [1, 2])
        try fresh.server.psql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '\(fresh.database)'")
        // The calls that meet a dropped connection may fail; the ones after work again.
        _ = try? store.commit(batch(numbered("lab/a", 3...3)))
        _ = try? store.messages(topic: "lab/a", after: 0, limit: 10)
        try store.commit(batch(numbered("lab/a", 4...4)))
        #expect(try store.messages(topic: "lab/a", after: 0, limit: 10).last?.seq == 4)
    }

    @Test func aStatementTheServerLeavesUnansweredFailsAndTheNextOneReconnects() throws {
        let fresh = try FreshDatabase(answerTimeout: .seconds(1))
        let store = fresh.store
        defer { try? store.close() }
        try store.commit(batch(numbered("lab/a", 1...1)))
        // Stop the store's server processes: the connection stays up, nothing answers.
        let backends = try fresh.server.psqlValues("SELECT pid FROM pg_stat_activity WHERE datname = '\(fresh.database)'").compactMap { pid_t($0) }
        #expect(!backends.isEmpty)
        for pid in backends { kill(pid, SIGSTOP) }
        let error = #expect(throws: PostgresStoreError.self) { try store.commit(batch(numbered("lab/a", 2...2))) }
        for pid in backends { kill(pid, SIGCONT) }
        #expect(error?.reason == .unreachable)
        #expect(error?.description.contains("did not answer within 1 s") == true)
        try store.commit(batch(numbered("lab/a", 2...2)))
        #expect(seqs(try store.messages(topic: "lab/a", after: 0, limit: 10)) == [1, 2])

    }

    @Test func aClosedStoreSaysSo() throws {
        let store = try PostgresStore(url: try SharedPostgres.server.get().createDatabase(), logger: testLogger)
        try store.close()
        let error = #expect(throws: PostgresStoreError.self) { _ = try store.loadTopics() }
        #expect(error?.reason == .closed)
    }
}

/// A store on a database of its own, with the server and the database's name, so that a test can
/// reach the store's server processes.
private struct FreshDatabase {
    let server: PostgresServer
    let database: String
    let store: PostgresStore

    init(answerTimeout: Duration) throws {
        self.server = try SharedPostgres.server.get()
        let url = try self.server.createDatabase()
        self.database = String(url.split(separator: "/").last!)
        self.store = try PostgresStore(url: url, answerTimeout: answerTimeout, logger: testLogger)
    }
}
