import Dispatch
import Foundation
import NIOCore
import SwitchboardCore
import SwitchboardPostgres
import SwitchboardTestServices
import Testing

/// What every `Store` must do, run against each implementation: the hub relies on exactly this.
@Suite struct StoreContractTests {
    @Test(arguments: StoreKind.available)
    func commitAndLoadTopicsRoundTrip(_ kind: StoreKind) throws {
        let store = try StoreLocation(kind).open()
        defer { try? store.close() }
        try store.commit(batch(numbered("lab/a", 1...3) + numbered("lab/b", 1...2)))
        try store.commit(batch([message("lab/a", 4, ts: 9_000)]))
        let topics = try store.loadTopics().sorted { $0.name < $1.name }
        #expect(topics.map(\.name) == ["lab/a", "lab/b"])
        #expect(topics.map(\.lastSeq) == [4, 2])
        #expect(topics.map(\.firstSeq) == [1, 1])
        #expect(topics.map(\.lastTs) == [9_000, 2_000])
        #expect(topics.allSatisfy { $0.descriptor == nil })
    }

    @Test(arguments: StoreKind.available)
    func reopeningAfterCloseKeepsEverything(_ kind: StoreKind) throws {
        let location = try StoreLocation(kind)
        do {
            let store = try location.open()
            try store.commit(batch(numbered("lab/a", 1...5), keys: [(PublishKey(publisher: "dev", key: "k1"), "lab/a", 5, 5_000)]))
            try store.setDescriptor(topic: "lab/a", descriptor: #"{"kind":"line"}"#)
            try store.setDescriptor(topic: "lab/empty", descriptor: #"{"kind":"bar"}"#)
            try store.saveDocument(collection: "sources", id: "s1", body: #"{"on":true}"#)
            _ = try store.applyRetention([.init(topic: "lab/a", minTs: nil, maxDeletedSeq: 2)])
            try store.close()
        }
        let store = try location.open()
        defer { try? store.close() }
        let topics = try store.loadTopics().sorted { $0.name < $1.name }
        #expect(topics.map(\.name) == ["lab/a", "lab/empty"])
        #expect(topics.map(\.lastSeq) == [5, 0])
        #expect(topics.map(\.firstSeq) == [3, 1])
        #expect(topics.map(\.lastTs) == [5_000, nil])
        #expect(topics.map(\.descriptor) == [#"{"kind":"line"}"#, #"{"kind":"bar"}"#])
        #expect(seqs(try store.messages(topic: "lab/a", after: 0, limit: 100)) == [3, 4, 5])
        #expect(try store.lookupKeys([PublishKey(publisher: "dev", key: "k1")])[PublishKey(publisher: "dev", key: "k1")]?.seq == 5)
        #expect(try store.loadDocuments(collection: "sources").map(\.body) == [#"{"on":true}"#])
    }

    @Test(arguments: StoreKind.available)
    func messagesAfterSeqOldestFirstUpToLimit(_ kind: StoreKind) throws {
        let store = try StoreLocation(kind).open()
        defer { try? store.close() }
        // Two batches, topics interleaved: each topic's messages still come back in seq order.
        try store.commit(batch(numbered("lab/a", 1...5) + numbered("lab/b", 1...3)))
        try store.commit(batch(numbered("lab/b", 4...6) + numbered("lab/a", 6...10)))
        #expect(seqs(try store.messages(topic: "lab/a", after: 3, limit: 4)) == [4, 5, 6, 7])
        #expect(seqs(try store.messages(topic: "lab/a", after: 0, limit: 100)) == Array(1...10))
        #expect(seqs(try store.messages(topic: "lab/b", after: 5, limit: 100)) == [6])
        #expect(try store.messages(topic: "lab/a", after: 10, limit: 100).isEmpty)
        #expect(try store.messages(topic: "lab/unknown", after: 0, limit: 100).isEmpty)
        let first = try #require(try store.messages(topic: "lab/a", after: 0, limit: 1).first)
        #expect(first.topic == "lab/a" && first.ts == 1_000 && String(buffer: first.data) == #"{"n":1}"#)
    }

    @Test(arguments: StoreKind.available)
    func timeRangeReadsAreInclusiveAndPage(_ kind: StoreKind) throws {
        let store = try StoreLocation(kind).open()
        defer { try? store.close() }
        try store.commit(batch(numbered("lab/t", 1...20)))  // ts = 1000 × seq
        #expect(seqs(try store.messages(topic: "lab/t", fromTs: 5_000, toTs: 9_000, after: 0, limit: 100)) == [5, 6, 7, 8, 9])
        #expect(seqs(try store.messages(topic: "lab/t", fromTs: 5_000, toTs: 9_000, after: 6, limit: 2)) == [7, 8])
        #expect(seqs(try store.messages(topic: "lab/t", fromTs: 19_500, toTs: 99_000, after: 0, limit: 100)) == [20])
        #expect(try store.messages(topic: "lab/t", fromTs: 1_500, toTs: 1_900, after: 0, limit: 100).isEmpty)
        #expect(try store.messages(topic: "lab/other", fromTs: 0, toTs: .max, after: 0, limit: 100).isEmpty)
    }

    /// Time ranges over a long topic with runs of equal ts, gaps in ts and a front cut by retention,
    /// against the same filter applied to every message.
    @Test(arguments: StoreKind.available)
    func timeRangeReadsMatchABruteForceFilter(_ kind: StoreKind) throws {
        let store = try StoreLocation(kind).open()
        defer { try? store.close() }
        let all = (1...2_000).map { seq in message("lab/long", Int64(seq), ts: 10_000 + Int64(seq / 7) * 3) }
        for chunk in stride(from: 0, to: all.count, by: 500) {
            try store.commit(batch(Array(all[chunk..<chunk + 500])))
        }
        _ = try store.applyRetention([.init(topic: "lab/long", minTs: nil, maxDeletedSeq: 150)])
        let kept = all.filter { $0.seq > 150 }
        var random = SeededRNG(seed: 7)
        for _ in 0..<200 {
            let from = Int64.random(in: 9_990...10_900, using: &random)
            let to = from + Int64.random(in: -5...400, using: &random)
            let after = Int64.random(in: 0...2_100, using: &random)
            let limit = Int.random(in: 1...300, using: &random)
            let expected = kept.filter { $0.ts >= from && $0.ts <= to && $0.seq > after }.prefix(limit)
            let got = try store.messages(topic: "lab/long", fromTs: from, toTs: to, after: after, limit: limit)
            #expect(seqs(got) == seqs(Array(expected)), "from \(from) to \(to) after \(after) limit \(limit)")
        }
        #expect(seqs(try store.messages(topic: "lab/long", fromTs: 0, toTs: .max, after: 0, limit: 5)) == [151, 152, 153, 154, 155])
    }

    /// Pages after a seq from a busy topic and a quiet one interleaved with it (the SQLite store reads
    /// the first from the log in order and the second through its index), against a plain filter.
    @Test(arguments: StoreKind.available)
    func pagesOfBusyAndQuietTopicsMatchABruteForceFilter(_ kind: StoreKind) throws {
        let store = try StoreLocation(kind).open()
        defer { try? store.close() }
        var busy: [StoredMessage] = []
        var quiet: [StoredMessage] = []
        for chunk in 0..<8 {
            var rows: [StoredMessage] = []
            for offset in 1...250 {
                let n = Int64(chunk * 250 + offset)
                busy.append(message("lab/busy", n, ts: n))
                rows.append(busy.last!)
                if n % 50 == 0 {
                    quiet.append(message("lab/quiet", Int64(quiet.count + 1), ts: n))
                    rows.append(quiet.last!)
                }
            }
            try store.commit(batch(rows))
        }
        var random = SeededRNG(seed: 11)
        for _ in 0..<100 {
            for (topic, all) in [("lab/busy", busy), ("lab/quiet", quiet)] {
                let after = Int64.random(in: 0...Int64(all.count + 5), using: &random)
                let limit = Int.random(in: 1...600, using: &random)
                let got = try store.messages(topic: topic, after: after, limit: limit)
                #expect(seqs(got) == seqs(Array(all.filter { $0.seq > after }.prefix(limit))), "\(topic) after \(after) limit \(limit)")
                #expect(got.allSatisfy { $0.topic == topic })
            }
        }
    }

    @Test(arguments: StoreKind.available)
    func encodedPagesAreTheRowsEncodedOneByOne(_ kind: StoreKind) throws {
        let store = try StoreLocation(kind).open()
        defer { try? store.close() }
        let senders: [String?] = [nil, "esp32-a", "esp32-a", "esp32-b", nil, "ü-sensor \"quoted\""]
        var rows: [StoredMessage] = []
        for n in 1...1200 {
            rows.append(message("lab/busy", Int64(n), ts: Int64(n), from: senders[n % senders.count], #"{"n":\#(n),"s":"ä"}"#))
            if n % 7 == 0 { rows.append(message("lab/quiet", Int64(n / 7), ts: Int64(n), from: "q\(n % 2)")) }
        }
        try store.commit(batch(rows))
        let encoder = EnvelopeEncoder(topic: try Topic(validating: "lab/busy"))
        let encoding = StoredRowEncoding { row, buffer in
            encoder.writeFrame(.envelope, seq: row.seq, ts: row.ts, from: row.from, data: row.data, to: &buffer)
        }
        for (after, limit) in [(0, 1000), (0, 5), (999, 1000), (1199, 10), (1200, 10), (400, 64), (17, 300)] {
            let encoded = try store.encodedMessages(topic: "lab/busy", after: Int64(after), limit: limit, encoding: encoding)
            let expected = try store.messages(topic: "lab/busy", after: Int64(after), limit: limit)
            var oneByOne = ByteBuffer()
            for row in expected {
                encoder.writeFrame(.envelope, seq: row.seq, ts: row.ts, from: row.from, data: row.data, to: &oneByOne)
            }
            #expect(encoded.bytes == oneByOne, "after \(after) limit \(limit)")
            #expect(encoded.count == expected.count)
            #expect(encoded.firstSeq == expected.first?.seq && encoded.lastSeq == expected.last?.seq)
        }
        #expect(try store.encodedMessages(topic: "lab/none", after: 0, limit: 10, encoding: encoding).count == 0)
    }

    @Test(arguments: StoreKind.available)
    func idempotencyKeysFindTheFirstSeq(_ kind: StoreKind) throws {
        let store = try StoreLocation(kind).open()
        defer { try? store.close() }
        let k1 = PublishKey(publisher: "dev-1", key: "a")
        let k2 = PublishKey(publisher: "dev-2", key: "a")
        try store.commit(batch(numbered("lab/a", 1...2), keys: [(k1, "lab/a", 1, 1_000), (k2, "lab/a", 2, 2_000)]))
        // A key already stored is kept with its first seq, not replaced.
        try store.commit(batch(numbered("lab/b", 1...1), keys: [(k1, "lab/b", 1, 3_000)]))
        // The same key twice in one batch: the first one counts.
        let k3 = PublishKey(publisher: "dev-3", key: "a")
        try store.commit(batch(numbered("lab/c", 1...2), keys: [(k3, "lab/c", 1, 1_000), (k3, "lab/c", 2, 2_000)]))
        let found = try store.lookupKeys([k1, k2, k3, PublishKey(publisher: "dev-1", key: "unknown")])
        #expect(found.count == 3)
        #expect(found[k3]?.topic == "lab/c" && found[k3]?.seq == 1)
        #expect(found[k1]?.topic == "lab/a" && found[k1]?.seq == 1)
        #expect(found[k2]?.topic == "lab/a" && found[k2]?.seq == 2)
        #expect(try store.lookupKeys([]).isEmpty)
    }

    @Test(arguments: StoreKind.available)
    func retentionByCountKeepsLastSeqAndMovesFirstSeq(_ kind: StoreKind) throws {
        let store = try StoreLocation(kind).open()
        defer { try? store.close() }
        try store.commit(batch(numbered("lab/a", 1...10)))
        #expect(try store.applyRetention([.init(topic: "lab/a", minTs: nil, maxDeletedSeq: 7)]) == ["lab/a": 8])
        #expect(seqs(try store.messages(topic: "lab/a", after: 0, limit: 100)) == [8, 9, 10])
        // Everything deleted: the topic remembers its last seq, and its first is the next one.
        #expect(try store.applyRetention([.init(topic: "lab/a", minTs: nil, maxDeletedSeq: 10)]) == ["lab/a": 11])
        let emptied = try #require(try topic("lab/a", in: store))
        #expect(emptied.lastSeq == 10 && emptied.firstSeq == 11 && emptied.lastTs == nil)
        try store.commit(batch([message("lab/a", 11)]))
        let resumed = try #require(try topic("lab/a", in: store))
        #expect(resumed.lastSeq == 11 && resumed.firstSeq == 11)
        // Topics the store never saw are left out of the answer.
        #expect(try store.applyRetention([.init(topic: "lab/never", minTs: nil, maxDeletedSeq: 5)]).isEmpty)
    }

    @Test(arguments: StoreKind.available)
    func retentionByAgeAlsoDropsOldIdempotencyKeys(_ kind: StoreKind) throws {
        let store = try StoreLocation(kind).open()
        defer { try? store.close() }
        let old = PublishKey(publisher: "dev", key: "old")
        let new = PublishKey(publisher: "dev", key: "new")
        try store.commit(batch(numbered("lab/a", 1...10), keys: [(old, "lab/a", 2, 2_000), (new, "lab/a", 9, 9_000)]))
        #expect(try store.applyRetention([.init(topic: "lab/a", minTs: 6_000, maxDeletedSeq: nil)]) == ["lab/a": 6])
        #expect(seqs(try store.messages(topic: "lab/a", after: 0, limit: 100)) == [6, 7, 8, 9, 10])
        #expect(try store.lookupKeys([old, new]).keys.map(\.key) == ["new"])
        // Age and count together: whichever deletes more.
        #expect(try store.applyRetention([.init(topic: "lab/a", minTs: 7_000, maxDeletedSeq: 8)]) == ["lab/a": 9])
        #expect(try store.applyRetention([.init(topic: "lab/a", minTs: 10_000, maxDeletedSeq: 1)]) == ["lab/a": 10])
        #expect(try topic("lab/a", in: store)?.lastSeq == 10)
    }

    @Test(arguments: StoreKind.available)
    func descriptorsAreSetReplacedAndRemoved(_ kind: StoreKind) throws {
        let store = try StoreLocation(kind).open()
        defer { try? store.close() }
        try store.commit(batch(numbered("lab/a", 1...3)))
        try store.setDescriptor(topic: "lab/a", descriptor: #"{"kind":"line"}"#)
        try store.setDescriptor(topic: "lab/a", descriptor: #"{"kind":"bar"}"#)
        // A descriptor may come before the first message: the topic exists, empty.
        try store.setDescriptor(topic: "lab/new", descriptor: #"{"kind":"image"}"#)
        var topics = try store.loadTopics().sorted { $0.name < $1.name }
        #expect(topics.map(\.descriptor) == [#"{"kind":"bar"}"#, #"{"kind":"image"}"#])
        #expect(topics.map(\.lastSeq) == [3, 0])
        #expect(topics.map(\.firstSeq) == [1, 1])
        try store.setDescriptor(topic: "lab/a", descriptor: nil)
        topics = try store.loadTopics().sorted { $0.name < $1.name }
        #expect(topics.map(\.descriptor) == [nil, #"{"kind":"image"}"#])
        #expect(topics.first?.lastSeq == 3)
    }

    @Test(arguments: StoreKind.available)
    func documentsAreSavedReplacedDeletedAndLoaded(_ kind: StoreKind) throws {
        let store = try StoreLocation(kind).open()
        defer { try? store.close() }
        try store.saveDocument(collection: "sources", id: "b", body: #"{"n":1}"#)
        try store.saveDocument(collection: "sources", id: "a", body: #"{"n":2}"#)
        try store.saveDocument(collection: "devices", id: "a", body: #"{"d":true}"#)
        try store.saveDocument(collection: "sources", id: "b", body: #"{"n":3}"#)
        var sources = try store.loadDocuments(collection: "sources")
        #expect(sources.map(\.id) == ["a", "b"])
        #expect(sources.map(\.body) == [#"{"n":2}"#, #"{"n":3}"#])
        try store.deleteDocument(collection: "sources", id: "a")
        try store.deleteDocument(collection: "sources", id: "nothing")
        sources = try store.loadDocuments(collection: "sources")
        #expect(sources.map(\.id) == ["b"])
        #expect(try store.loadDocuments(collection: "devices").map(\.body) == [#"{"d":true}"#])
        #expect(try store.loadDocuments(collection: "commands").isEmpty)
    }

    @Test(arguments: StoreKind.available)
    func aFailingBatchLeavesNothingHalfWritten(_ kind: StoreKind) throws {
        let store = try StoreLocation(kind).open()
        defer { try? store.close() }
        try store.commit(batch(numbered("lab/a", 1...3)))
        let key = PublishKey(publisher: "dev", key: "k")
        // New messages for lab/a and a new topic, a key, and one seq that is already stored.
        var failing = batch(numbered("lab/a", 4...5) + numbered("lab/b", 1...2) + [message("lab/a", 3, #"{"dup":true}"#)])
        failing.keys = [(key, "lab/b", 1, 1_000)]
        #expect(throws: (any Error).self) { try store.commit(failing) }
        let topics = try store.loadTopics()
        #expect(topics.map(\.name) == ["lab/a"])
        #expect(topics.first?.lastSeq == 3)
        let stored = try store.messages(topic: "lab/a", after: 0, limit: 100)
        #expect(seqs(stored) == [1, 2, 3])
        #expect(String(buffer: stored[2].data) == #"{"n":3}"#)
        #expect(try store.messages(topic: "lab/b", after: 0, limit: 100).isEmpty)
        #expect(try store.lookupKeys([key]).isEmpty)
        // And the store goes on working.
        try store.commit(batch(numbered("lab/a", 4...4)))
        #expect(try topic("lab/a", in: store)?.lastSeq == 4)
    }

    @Test(arguments: StoreKind.available)
    func aLargeBatchCommitsAtOnce(_ kind: StoreKind) throws {
        let store = try StoreLocation(kind).open()
        defer { try? store.close() }
        let messages = (1...10_000).map { i in message("lab/\(i % 7)", Int64(i / 7 + 1), ts: Int64(i), #"{"i":\#(i)}"#) }
        let keys = (1...10_000).map { i in (key: PublishKey(publisher: "dev", key: "\(i)"), topic: "lab/\(i % 7)", seq: Int64(i / 7 + 1), ts: Int64(i)) }
        try store.commit(batch(messages, keys: keys))
        let topics = try store.loadTopics()
        #expect(topics.count == 7)
        #expect(topics.reduce(0) { $0 + Int($1.lastSeq - $1.firstSeq + 1) } == 10_000)
        let lab3 = try store.messages(topic: "lab/3", after: 0, limit: 100_000)
        #expect(seqs(lab3) == Array(1...Int64(lab3.count)))
        #expect(try store.lookupKeys((1...10_000).map { PublishKey(publisher: "dev", key: "\($0)") }).count == 10_000)
        // Retention across several of its chunks (5000 rows each).
        let lab0 = try #require(topics.first { $0.name == "lab/0" })
        #expect(lab0.lastSeq == 1_429)
        try store.commit(batch(numbered("lab/big", 1...12_000)))
        #expect(try store.applyRetention([.init(topic: "lab/big", minTs: nil, maxDeletedSeq: 11_000)]) == ["lab/big": 11_001])
        #expect(try store.messages(topic: "lab/big", after: 0, limit: 100_000).count == 1_000)
    }

    @Test(arguments: StoreKind.available)
    func dataComesBackByteForByte(_ kind: StoreKind) throws {
        let store = try StoreLocation(kind).open()
        defer { try? store.close() }
        let bodies = [
            #"{"name":"Zürich → Genève","emoji":"🏁🇨🇭","combining":"e\u0301"}"#,
            #"{"escapes":"quote \" backslash \\ newline \n tab \t nul \u0000 bell \u0007","raw":"tab\#tend"}"#,
            "{ \"spaced\" :  [1, 2.50, -0e3]  ,\"z\":1,\"a\":2 }",  // key order and whitespace as sent
            "\"" + String((0..<65_534).map { Character(Unicode.Scalar(UInt8(97 + $0 % 26))) }) + "\"",  // 64 KiB
            "\"raw control bytes \u{01}\u{1f}\u{7f}\"",
            "",
        ]
        #expect(bodies[3].utf8.count == 65_536)
        let senders: [String?] = ["Jürgen 🚴", nil, "", "dev/1", nil, "x"]
        try store.commit(batch(bodies.indices.map { i in
            StoredMessage(topic: "lab/bytes", seq: Int64(i + 1), ts: Int64(i), from: senders[i], data: ByteBuffer(string: bodies[i]))
        }))
        let stored = try store.messages(topic: "lab/bytes", after: 0, limit: 100)
        #expect(stored.map { Array($0.data.readableBytesView) } == bodies.map { Array($0.utf8) })
        #expect(stored.map(\.from) == senders)
        let ranged = try store.messages(topic: "lab/bytes", fromTs: 3, toTs: 3, after: 0, limit: 1)
        #expect(ranged.first.map { String(buffer: $0.data) } == bodies[3])
    }

    @Test(arguments: StoreKind.available)
    func readsDuringCommitsSeeWholeBatches(_ kind: StoreKind) throws {
        let store = try StoreLocation(kind).open()
        defer { try? store.close() }
        let batches = 150
        let perBatch = 40
        let done = Flag()
        let failures = FailureLog()
        // The hub's shape: one committer thread, readers on a concurrent queue.
        let committer = Thread {
            defer { done.set() }
            do {
                for b in 0..<batches {
                    let first = Int64(b * perBatch + 1)
                    let keys = [(key: PublishKey(publisher: "dev", key: "\(b)"), topic: "lab/c", seq: first, ts: first)]
                    try store.commit(batch(numbered("lab/c", first...(first + Int64(perBatch) - 1)), keys: keys))
                }
            } catch {
                failures.add("commit: \(error)")
            }
        }
        committer.start()
        DispatchQueue.concurrentPerform(iterations: 4) { reader in
            var seen = 0
            while !done.isSet {
                do {
                    let read = try store.messages(topic: "lab/c", after: 0, limit: 1_000_000)
                    // Whole batches only, in order, and never fewer than before.
                    if read.count % perBatch != 0 || seqs(read) != (0..<read.count).map({ Int64($0 + 1) }) || read.count < seen {
                        failures.add("reader \(reader) saw \(read.count) messages after \(seen)")
                    }
                    seen = read.count
                    _ = try store.lookupKeys([PublishKey(publisher: "dev", key: "\(reader)")])
                    _ = try store.loadTopics()
                } catch {
                    failures.add("reader \(reader): \(error)")
                }
            }
        }
        while !done.isSet { Thread.sleep(forTimeInterval: 0.01) }
        #expect(failures.entries.isEmpty)
        #expect(try topic("lab/c", in: store)?.lastSeq == Int64(batches * perBatch))
    }
}

/// Set once by the committer thread, read by the readers.
final class Flag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    var isSet: Bool { self.lock.withLock { self.value } }
    func set() { self.lock.withLock { self.value = true } }
}

/// Problems the threads of a test saw, reported by the test itself.
final class FailureLog: @unchecked Sendable {
    private let lock = NSLock()
    private var list: [String] = []
    var entries: [String] { self.lock.withLock { self.list } }
    func add(_ entry: String) { self.lock.withLock { self.list.append(entry) } }
}
