import Foundation
import NIOCore
@testable import SwitchboardCore
import SwitchboardStore
import SwitchboardTestServices
import Synchronization
import Testing

/// ts never decreases within a topic, even when the clock steps back between publishes.
@Suite struct TimeOrderTests {
    @Test func aClockSteppingBackDoesNotMakeTsDecreaseWithinATopic() throws {
        let store = try SQLiteStore(directory: ServicePorts.scratchDirectory("switchboard-ts-test").path, logger: testLogger)
        let hub = try Hub(store: store, logger: testLogger)
        let acks = Mutex<[Hub.PublishAck]>([])
        func publish(_ topic: String, ts: Int64) -> Committer.Publish {
            Committer.Publish(
                topic: Topic(trusted: topic), data: ByteBuffer(string: "1"), from: nil, key: nil, ts: ts,
                completion: { result in acks.withLock { $0.append(try! result.get()) } })
        }
        // Within one batch and across batches; another topic keeps its own times.
        hub.commit([publish("lab/a", ts: 5_000), publish("lab/a", ts: 3_000), publish("lab/b", ts: 2_000)])
        hub.commit([publish("lab/a", ts: 4_000), publish("lab/a", ts: 6_000)])
        #expect(acks.withLock { $0.map(\.ts) } == [5_000, 5_000, 2_000, 5_000, 6_000])
        let stored = try store.messages(topic: "lab/a", after: 0, limit: 10)
        #expect(stored.map(\.ts) == [5_000, 5_000, 5_000, 6_000])
        #expect(try hub.history(topic: Topic(trusted: "lab/a"), fromTs: 5_000, toTs: 5_000, after: 0, limit: 10).map(\.seq) == [1, 2, 3])
        #expect(try store.messages(topic: "lab/b", after: 0, limit: 10).map(\.ts) == [2_000])
    }
}
