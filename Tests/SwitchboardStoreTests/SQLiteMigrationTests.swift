import Foundation
import GRDB
import NIOCore
import SwitchboardCore
@testable import SwitchboardStore
import SwitchboardTestServices
import Testing

/// A database written by an older Switchboard opens in a newer one with everything in it.
@Suite struct SQLiteMigrationTests {
    @Test func messagesClusteredByTopicMoveIntoTheLogUnchanged() throws {
        let directory = ServicePorts.scratchDirectory("switchboard-migration-test").path
        // The layout before the message log: messages clustered by (topic_id, seq).
        do {
            let old = try DatabaseQueue(path: directory + "/switchboard.sqlite")
            try SQLiteStore.migrator.migrate(old, upTo: "v2-documents")
            try old.write { db in
                try db.execute(sql: "INSERT INTO topics (id, name, last_seq) VALUES (1, 'lab/a', 3), (2, 'lab/b', 2)")
                for (topic, seq, ts) in [(1, 1, 10), (2, 1, 11), (1, 2, 12), (2, 2, 13), (1, 3, 14)] {
                    try db.execute(
                        sql: "INSERT INTO messages (topic_id, seq, ts, sender, data) VALUES (?, ?, ?, ?, ?)",
                        arguments: [topic, seq, ts, seq == 2 ? "esp32" : nil, #"{"n":\#(seq)}"#])
                }
            }
        }
        let store = try SQLiteStore(directory: directory, logger: testLogger)
        defer { try? store.close() }
        let a = try store.messages(topic: "lab/a", after: 0, limit: 10)
        #expect(a.map(\.seq) == [1, 2, 3])
        #expect(a.map(\.ts) == [10, 12, 14])
        #expect(a.map(\.from) == [nil, "esp32", nil])
        #expect(a.map { String(buffer: $0.data) } == [#"{"n":1}"#, #"{"n":2}"#, #"{"n":3}"#])
        #expect(try store.messages(topic: "lab/b", fromTs: 12, toTs: 20, after: 0, limit: 10).map(\.seq) == [2])
        #expect(try topic("lab/a", in: store)?.lastSeq == 3)
        // The log takes new messages after the migrated ones and still refuses a seq twice.
        try store.commit(batch([message("lab/b", 3, ts: 20)]))
        #expect(try store.messages(topic: "lab/b", after: 1, limit: 10).map(\.seq) == [2, 3])
        #expect(throws: (any Error).self) { try store.commit(batch([message("lab/b", 3, ts: 21)])) }
        let indexes = try store.pool.read { db in
            try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'messages' ORDER BY name")
        }
        #expect(indexes == ["messages_by_seq"])
    }
}
