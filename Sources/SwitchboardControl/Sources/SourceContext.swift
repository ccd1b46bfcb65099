import Logging
import NIOCore
import SwitchboardCore

/// What a running source tells its registry about itself.
enum SourceReport: Sendable, Equatable {
    /// Working (again), after a failure: the registry publishes `started`.
    case running
    /// Not working, with the reason (an exit status, a refused connection): `failed`.
    case failed(String)
    /// Done on its own (a replay without `loop`): `stopped`.
    case finished
}

/// Everything a running source needs: where it publishes and how it reports its state.
struct SourceContext: Sendable {
    let name: String
    let topic: Topic
    let hub: Hub
    let logger: Logger
    /// Never blocks: the registry applies reports in order on its own.
    let report: @Sendable (SourceReport) -> Void

    /// Publishes `data` (to the source's topic unless `topic` says otherwise) and waits for
    /// the commit, which also paces a source to what the hub can take. Failures are logged.
    @discardableResult
    func publish(_ data: JSONValue, to topic: Topic? = nil) async -> Bool {
        await self.publish(buffer: data.buffer(), to: topic)
    }

    @discardableResult
    func publish(buffer: ByteBuffer, to topic: Topic? = nil) async -> Bool {
        let target = topic ?? self.topic
        do {
            _ = try await self.hub.publish(topic: target, data: buffer, from: "source:\(self.name)")
            return true
        } catch {
            self.logger.warning(
                "Source could not publish",
                metadata: ["source": "\(self.name)", "topic": "\(target)", "error.type": "\(error)"]
            )
            return false
        }
    }
}

/// Sleeps to fixed ticks of a rate, without drift; a source that fell behind skips ahead instead of bursting.
struct Pacer {
    let interval: Duration
    private var next: ContinuousClock.Instant

    init(hz: Double) {
        self.interval = .nanoseconds(Int64(1e9 / hz))
        self.next = .now
    }

    /// Waits for the next tick; throws when the task is cancelled.
    mutating func tick() async throws {
        self.next = self.next.advanced(by: self.interval)
        let now = ContinuousClock.Instant.now
        if self.next < now { self.next = now }
        try await Task.sleep(until: self.next, clock: .continuous)
    }
}
