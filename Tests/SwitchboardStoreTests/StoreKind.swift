import Foundation
import Logging
import NIOCore
import SwitchboardCore
import SwitchboardPostgres
import SwitchboardStore
import SwitchboardTestServices
import Testing

/// The store implementations every contract test runs against.
enum StoreKind: String, CaseIterable, CustomTestStringConvertible, Sendable {
    case sqlite
    case postgres

    var testDescription: String { self.rawValue }

    /// The kinds this machine can test. PostgreSQL is left out only when it is not installed and
    /// this is not CI; under CI=true a missing PostgreSQL fails the tests instead (scripts/test installs it).
    static let available: [StoreKind] = {
        if PostgresServer.isInstalled || ProcessInfo.processInfo.environment["CI"] == "true" { return allCases }
        print("warning: PostgreSQL is not installed (no initdb); the store tests run against SQLite only")
        return [.sqlite]
    }()
}

/// One PostgreSQL server for the whole test process; each test gets a database of its own.
enum SharedPostgres {
    static let server: Result<PostgresServer, any Error> = Result { try PostgresServer.start() }
}

/// Where one test's store lives, so it can be opened again after closing.
struct StoreLocation {
    let kind: StoreKind
    /// The SQLite directory or the PostgreSQL URL.
    let address: String

    /// A fresh, empty location: a scratch directory, or a new database on the shared server.
    init(_ kind: StoreKind) throws {
        self.kind = kind
        switch kind {
        case .sqlite: self.address = ServicePorts.scratchDirectory("switchboard-store-test").path
        case .postgres: self.address = try SharedPostgres.server.get().createDatabase()
        }
    }

    func open() throws -> any Store {
        switch self.kind {
        case .sqlite: try SQLiteStore(directory: self.address, logger: testLogger)
        case .postgres: try PostgresStore(url: self.address, logger: testLogger)
        }
    }
}

let testLogger: Logger = {
    var logger = Logger(label: "store-test")
    logger.logLevel = .warning
    return logger
}()

// MARK: - Building and reading messages

func message(_ topic: String, _ seq: Int64, ts: Int64 = 1_000, from: String? = nil, _ data: String = #"{"v":1}"#) -> StoredMessage {
    StoredMessage(topic: topic, seq: seq, ts: ts, from: from, data: ByteBuffer(string: data))
}

/// A batch of `messages` (and `keys`), with each topic's `lastSeq` its highest seq here.
func batch(_ messages: [StoredMessage], keys: [(key: PublishKey, topic: String, seq: Int64, ts: Int64)] = []) -> CommitBatch {
    var batch = CommitBatch()
    batch.messages = messages
    batch.keys = keys
    for message in messages {
        batch.lastSeqs[message.topic] = max(batch.lastSeqs[message.topic] ?? 0, message.seq)
    }
    return batch
}

/// Messages `seqs` of `topic`, with `ts` equal to 1000 × seq.
func numbered(_ topic: String, _ seqs: ClosedRange<Int64>) -> [StoredMessage] {
    seqs.map { message(topic, $0, ts: $0 * 1000, #"{"n":\#($0)}"#) }
}

func seqs(_ messages: [StoredMessage]) -> [Int64] { messages.map(\.seq) }

func topic(_ name: String, in store: any Store) throws -> StoredTopic? {
    try store.loadTopics().first { $0.name == name }
}
