import Dispatch
import Foundation
import NIOCore
import SwitchboardCore
import Testing

/// Committed messages per second into each store, printed for the record (no assertions on
/// speed: the machine is shared). STORE_BENCH_MESSAGES sets how many (default 20,000).
@Suite struct StoreIngestBenchmark {
    @Test(arguments: StoreKind.available, [1, 100])
    func committedMessagesPerSecond(_ kind: StoreKind, topics: Int) throws {
        let total = Int(ProcessInfo.processInfo.environment["STORE_BENCH_MESSAGES"] ?? "") ?? 20_000
        let batchSize = 1_000
        let store = try StoreLocation(kind).open()
        defer { try? store.close() }
        let names = (0..<topics).map { "bench/\($0)" }
        var lastSeqs = [Int64](repeating: 0, count: topics)
        let payload = ByteBuffer(string: #"{"i":1,"p":""# + String(repeating: "x", count: 180) + #""}"#)
        var timed: UInt64 = 0
        var next = 0
        while next < total {
            var batch = CommitBatch()
            for _ in 0..<min(batchSize, total - next) {
                let topic = next % topics
                next += 1
                lastSeqs[topic] += 1
                batch.messages.append(StoredMessage(topic: names[topic], seq: lastSeqs[topic], ts: Int64(next), from: nil, data: payload))
                batch.lastSeqs[names[topic]] = lastSeqs[topic]
            }
            let started = DispatchTime.now().uptimeNanoseconds
            try store.commit(batch)
            timed += DispatchTime.now().uptimeNanoseconds - started
        }
        let seconds = Double(timed) / 1e9
        print(String(format: "store bench: %@, batch %d, %d topic(s), %d B: %d msgs in %.2f s = %.0f msgs/s",
                     kind.rawValue, batchSize, topics, payload.readableBytes, total, seconds, Double(total) / seconds))
        #expect(try store.loadTopics().reduce(0) { $0 + $1.lastSeq } == Int64(total))
    }
}
