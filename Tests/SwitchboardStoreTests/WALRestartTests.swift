import Foundation
import GRDB
import SwitchboardCore
@testable import SwitchboardStore
import SwitchboardTestServices
import Testing

/// Under commits that never pause, the WAL must still start over instead of growing with every page ever written.
@Suite struct WALRestartTests {
    @Test func aLongWALStartsOverBetweenCommits() throws {
        let directory = ServicePorts.scratchDirectory("switchboard-wal-test").path
        let store = try SQLiteStore(directory: directory, durability: .normal, walRestartFrames: 64, logger: testLogger)
        defer { try? store.close() }
        let payload = #"{"v":""# + String(repeating: "x", count: 180) + #""}"#
        var seqs: [String: Int64] = [:]
        var walBytes: [Int] = []
        // A reader's snapshot taken between two commits makes each background checkpoint end behind
        // the newest commit, as the commits made while it runs do in a busy hub.
        var holdsSnapshots = Configuration()
        holdsSnapshots.allowsUnsafeTransactions = true
        let reader = try DatabaseQueue(path: store.path, configuration: holdsSnapshots)
        func commitRound() throws {
            let rows = (0..<50).map { n -> StoredMessage in
                let topic = "wal/\(n)"
                seqs[topic, default: 0] += 1
                return message(topic, seqs[topic]!, ts: seqs[topic]!, payload)
            }
            // 50 topics per commit, as many devices publishing at once: ~50 dirty index pages each time.
            try store.commit(batch(rows))
            walBytes.append(try FileManager.default.attributesOfItem(atPath: store.path + "-wal")[.size] as? Int ?? 0)
        }
        for _ in 0..<60 {
            try commitRound()
            try reader.inDatabase { db in
                try db.beginTransaction(.deferred)
                _ = try Int.fetchOne(db, sql: "SELECT count(*) FROM topics")
            }
            try commitRound()
            try store.checkpointInBackground()  // what the timer does every 100 ms
            try reader.inDatabase { db in try db.commit() }
        }
        // Never started over, the WAL of these 120 commits grows to about 5.5 MB (46 KB a commit);
        // started over, it stays near the 64-page threshold plus what a checkpoint left behind.
        #expect(walBytes.max()! < 1 << 20, "WAL sizes: \(walBytes)")
        for n in [0, 17, 49] {
            #expect(try store.messages(topic: "wal/\(n)", after: 0, limit: 200).map(\.seq) == Array(1...120))
        }
    }
}
