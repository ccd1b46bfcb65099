import Foundation
import SwitchboardCore
import Testing

@testable import SwitchboardServer

/// Required test 4: a subscriber that never reads is closed with 1013 and slows nobody;
/// a `latest` subscriber that reads slowly gets the newest values and stays connected.
@Suite struct SlowConsumerTests {
    @Test func subscriberThatNeverReadsIsClosedAndOthersGetEverything() async throws {
        // No keep-alive pings: the paused clients here would not answer them, and on a loaded machine the
        // pause can outlast a ping interval; this test is about outbound queues (LimitsTests covers pings).
        try await TestHub.with(configure: {
            $0.hub.outbound.maxMessages = 1000
            $0.hub.outbound.maxBytes = 2 * 1024 * 1024
            $0.limits.webSocketPingIntervalSeconds = 0
        }) { hub in
            let stuck = try await hub.webSocket("/ws", receiveBuffer: 4096)
            try await stuck.send(json: ["op": "sub", "id": 1, "topics": ["slow/t"]])
            #expect(try await stuck.nextJSON()["op"] as? String == "ok")
            try await stuck.stopReading()

            let healthy = try await hub.webSocket("/ws")
            try await healthy.send(json: ["op": "sub", "id": 1, "topics": ["slow/t"]])
            #expect(try await healthy.nextJSON()["op"] as? String == "ok")
            let latest = try await hub.webSocket("/ws", receiveBuffer: 4096)
            try await latest.send(json: ["op": "sub", "id": 1, "topics": ["slow/t"], "policy": "latest"])
            #expect(try await latest.nextJSON()["op"] as? String == "ok")
            try await latest.stopReading()

            // 12 MB for the stuck client: more than its socket buffers and the 2 MiB queue together.
            let count = 6000
            let padding = String(repeating: "x", count: 2000)
            let publisher = try await hub.webSocket("/ws")
            // In rounds of 200, reading the healthy subscriber as we go: it must never lag a whole
            // queue behind (on a loaded machine this test's own reads can be slow), the stuck one does.
            var received: [Int] = []
            // The stuck client starts reading as soon as the hub has closed it, so it takes the close
            // frame within the hub's 10 s grace however long the publishing takes on a loaded machine.
            let slowBefore = HubStats.shared.snapshot.dropped["slow_consumer"] ?? 0
            var stuckResumed = false
            for first in stride(from: 1, through: count, by: 200) {
                if !stuckResumed && (HubStats.shared.snapshot.dropped["slow_consumer"] ?? 0) > slowBefore {
                    try await stuck.resumeReading()
                    stuckResumed = true
                }
                let round = first...min(first + 199, count)
                for index in round {
                    try await publisher.send(json: ["op": "pub", "id": index, "topic": "slow/t", "data": ["i": index, "pad": padding]])
                }
                for _ in round { #expect(try await publisher.nextJSON()["op"] as? String == "ok") }
                while received.count < round.upperBound { received.append(try await healthy.nextJSON()["seq"] as! Int) }
            }

            // The stuck client reads (if it does not already): what was in its socket, then a close frame with 1013.
            if !stuckResumed { try await stuck.resumeReading() }
            var closeCode: UInt16?
            while closeCode == nil {
                if case .close(let code, let reason) = try await stuck.next() {
                    closeCode = code
                    #expect(reason.contains("slow consumer"))
                }
            }
            #expect(closeCode == 1013)

            #expect(received == Array(1...count), "the reading subscriber got everything, in order")

            // The latest subscriber reads slowly, then catches up with the newest value, and is still connected.
            try await latest.resumeReading()
            var lastSeq = 0
            while lastSeq < count {
                let frame = try await latest.nextJSON()
                if let seq = frame["seq"] as? Int {
                    #expect(seq > lastSeq, "in order, possibly skipping")
                    lastSeq = seq
                    try await Task.sleep(for: .microseconds(200))
                }
            }
            try await latest.send(json: ["op": "call", "id": "t", "method": "time"])
            var answer: [String: Any] = [:]
            repeat { answer = try await latest.nextJSON() } while answer["op"] as? String == "msg"
            #expect(answer["op"] as? String == "result", "the latest subscriber stays connected")
        }
    }
}
