import ArgumentParser
import Foundation
import Histogram
import Logging
import NIOCore
import SwitchboardCore
import SwitchboardPostgres
import SwitchboardStore

/// `switchboard bench store`: committed messages per second into the real SQLite
/// store (same schema, indexes, pragmas and commit path as the hub), without the network.
struct StoreBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "store",
        abstract: "Storage benchmark: committed msgs/s into SQLite (or PostgreSQL) with the real schema.",
        discussion: """
            Commits --messages messages of --size bytes in transactions of --batch messages (the hub's \
            committer takes up to 8192 queued messages per transaction) spread round-robin over --topics \
            topics, into a fresh database in a temporary directory (or --dir). Only the commits are timed; \
            building the batches is not. Prints msgs/s and the commit time per batch. With \
            --store postgres://…, into that database instead (fresh topic names per run).
            """
    )

    @Option(help: "Messages to commit.")
    var messages = 2_000_000

    @Option(help: "Messages per transaction (one value or several, comma-separated, each measured on a fresh database).")
    var batch = "1000"

    @Option(help: "Topics the messages are spread over.")
    var topics = 1

    @Option(help: "Message size in bytes.")
    var size = 200

    @Option(help: "normal (no fsync per commit, the default) or full (fsync per commit).")
    var durability = "normal"

    @Option(help: "Directory for the database (default: a fresh temporary one, removed afterwards).")
    var dir: String?

    @Option(help: "postgres://user@host:port/db: measure the PostgreSQL store instead of SQLite.")
    var store: String?

    @Flag(help: "Print one JSON object per batch size.")
    var json = false

    func validate() throws {
        guard messages >= 1, messages <= 100_000_000 else { throw ValidationError("--messages must be 1…100000000") }
        guard topics >= 1, topics <= 100_000, size >= 2, size <= 1 << 20 else { throw ValidationError("bad --topics or --size") }
        guard !batchSizes.isEmpty, batchSizes.allSatisfy({ $0 >= 1 && $0 <= 100_000 }) else {
            throw ValidationError("--batch must be numbers 1…100000")
        }
        guard SQLiteStore.Durability(rawValue: durability) != nil else { throw ValidationError("--durability is normal or full") }
    }

    private var batchSizes: [Int] { batch.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) } }

    func run() throws {
        for batchSize in batchSizes {
            let result = try measure(batchSize: batchSize)
            if json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.sortedKeys]
                print(String(decoding: try encoder.encode(result), as: UTF8.self))
            } else {
                print(result.line)
            }
        }
    }

    struct Result: Codable {
        let batch: Int
        let topics: Int
        let size: Int
        let durability: String
        let messages: Int
        let seconds: Double
        let messagesPerSecond: Double
        let commitP50Ms: Double
        let commitP99Ms: Double
        let commitMaxMs: Double
        let databaseBytes: Int64

        var line: String {
            "batch \(batch), \(topics) topic(s), \(size) B, durability \(durability): \(messages) msgs in "
                + String(format: "%.2f s = %.0f msgs/s; commit p50 %.2f ms, p99 %.2f ms, max %.2f ms; database %.0f MB",
                         seconds, messagesPerSecond, commitP50Ms, commitP99Ms, commitMaxMs, Double(databaseBytes) / 1e6)
        }
    }

    private func measure(batchSize: Int) throws -> Result {
        let directory = dir ?? FileManager.default.temporaryDirectory.appendingPathComponent("switchboard-store-bench-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { if dir == nil { try? FileManager.default.removeItem(atPath: directory) } }
        var logger = Logger(label: "bench.store")
        logger.logLevel = .warning
        let store: any Store
        if let url = self.store {
            store = try PostgresStore(url: url, logger: logger)
        } else {
            store = try SQLiteStore(directory: directory, durability: SQLiteStore.Durability(rawValue: durability)!, logger: logger)
        }
        // Fresh names per run: a shared PostgreSQL database keeps earlier runs' topics.
        let run = UUID().uuidString.prefix(8)
        let names = (0..<topics).map { "bench/store/\(run)/\($0)" }
        var lastSeqs = [Int64](repeating: 0, count: topics)
        var histogram = Histogram<UInt64>(highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: .three)
        var timed: UInt64 = 0
        var committed = 0
        var next = 0
        while committed < messages {
            let count = min(batchSize, messages - committed)
            var batch = CommitBatch()
            batch.messages.reserveCapacity(count)
            let ts = Int64(Date().timeIntervalSince1970 * 1000)
            for _ in 0..<count {
                let topic = next % topics
                next += 1
                lastSeqs[topic] += 1
                let data = Self.payload(index: next, size: size)
                batch.messages.append(StoredMessage(topic: names[topic], seq: lastSeqs[topic], ts: ts, from: nil, data: data))
                batch.lastSeqs[names[topic]] = lastSeqs[topic]
            }
            let started = DispatchTime.now().uptimeNanoseconds
            try store.commit(batch)
            let took = DispatchTime.now().uptimeNanoseconds - started
            timed += took
            histogram.record(took / 1000)
            committed += count
        }
        try store.close()
        let bytes = ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).reduce(Int64(0)) { total, name in
            let attributes = try? FileManager.default.attributesOfItem(atPath: directory + "/" + name)
            return total + ((attributes?[.size] as? NSNumber)?.int64Value ?? 0)
        }
        let seconds = Double(timed) / 1e9
        return Result(
            batch: batchSize, topics: topics, size: size, durability: self.store == nil ? durability : "postgres", messages: committed, seconds: seconds,
            messagesPerSecond: Double(committed) / seconds,
            commitP50Ms: Double(histogram.valueAtPercentile(50)) / 1000, commitP99Ms: Double(histogram.valueAtPercentile(99)) / 1000,
            commitMaxMs: Double(histogram.max) / 1000, databaseBytes: bytes)
    }

    /// A JSON object of `size` bytes, shaped like a sensor reading (cheap to build:
    /// only the commits are timed, but the profile should show them, not this).
    static func payload(index: Int, size: Int) -> ByteBuffer {
        var buffer = ByteBuffer()
        buffer.reserveCapacity(size)
        buffer.writeString("{\"i\":\(index),\"p\":\"")
        buffer.writeRepeatingByte(UInt8(ascii: "x"), count: max(0, size - buffer.readableBytes - 2))
        buffer.writeStaticString("\"}")
        return buffer
    }
}
