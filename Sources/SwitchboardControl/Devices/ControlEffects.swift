import Logging
import SwitchboardCore
import Synchronization

/// The side effects of device and command state changes — store the record,
/// publish the `$sys/…` event — run one at a time in the order they were made.
///
/// State changes happen under a lock and only *enqueue* their effects here, so
/// two quick changes of one command can never be stored or published out of
/// order, and no lock is held across a disk write or a commit.
final class ControlEffects: Sendable {
    enum Effect: Sendable {
        case save(collection: String, id: String, body: JSONValue)
        case delete(collection: String, id: String)
        case publish(Topic, event: String, kind: String, object: JSONValue)
        /// Resumes once everything enqueued before it has run.
        case barrier(CheckedContinuation<Void, Never>)
    }

    private let stream: AsyncStream<Effect>
    private let continuation: AsyncStream<Effect>.Continuation
    private let consumer = Mutex<Task<Void, Never>?>(nil)
    let store: any DocumentStore
    let events: SystemEvents
    let logger: Logger

    init(store: any DocumentStore, events: SystemEvents, logger: Logger) {
        (self.stream, self.continuation) = AsyncStream.makeStream(of: Effect.self)
        self.store = store
        self.events = events
        self.logger = logger
    }

    func enqueue(_ effect: Effect) {
        self.continuation.yield(effect)
    }

    /// Stores `object` and publishes it as `event` — the usual pair for one change.
    func record(collection: String, id: String, topic: Topic, event: String, kind: String, object: JSONValue) {
        self.enqueue(.save(collection: collection, id: id, body: object))
        self.enqueue(.publish(topic, event: event, kind: kind, object: object))
    }

    /// Returns once every effect enqueued so far has run (stored and published), e.g. before acknowledging a command.
    func flushed() async {
        await withCheckedContinuation { continuation in
            if case .terminated = self.continuation.yield(.barrier(continuation)) { continuation.resume() }
        }
    }

    /// Starts running effects (those enqueued before start run first).
    func start() {
        let stream = self.stream
        self.consumer.withLock { task in
            guard task == nil else { return }
            task = Task { [self] in
                for await effect in stream { await self.run(effect) }
            }
        }
    }

    /// Runs what is still queued, then stops.
    func stop() async {
        self.continuation.finish()
        let task = self.consumer.withLock { $0 }
        await task?.value
    }

    private func run(_ effect: Effect) async {
        do {
            switch effect {
            case .save(let collection, let id, let body):
                try self.store.saveDocument(collection: collection, id: id, body: body.serialized)
            case .delete(let collection, let id):
                try self.store.deleteDocument(collection: collection, id: id)
            case .publish(let topic, let event, let kind, let object):
                await self.events.publish(topic, event: event, kind: kind, object: object)
            case .barrier(let continuation):
                continuation.resume()
            }
        } catch {
            self.logger.error("Storing a control record failed", metadata: ["error.type": "\(error)"])
        }
    }
}
