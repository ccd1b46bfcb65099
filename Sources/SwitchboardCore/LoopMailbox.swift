import NIOCore
import Synchronization

/// The fan-out's queue into one event loop.
///
/// The committer posts each batch's deliveries here; a task is scheduled on
/// the loop only when the mailbox was empty. A loop that is still busy when
/// the next batches commit therefore drains them together and flushes each
/// subscriber once: no added delay when idle, fewer writes (and syscalls)
/// the busier it gets.
final class LoopMailbox: Sendable {
    typealias Item = (target: SubscriptionIndex.Target, run: MessageRun)

    let eventLoop: any EventLoop
    private let pending = Mutex<(items: [Item], scheduled: Bool)>(([], false))

    init(eventLoop: any EventLoop) {
        self.eventLoop = eventLoop
    }

    func post(_ items: [Item]) {
        let schedule = self.pending.withLock { pending -> Bool in
            pending.items.append(contentsOf: items)
            guard !pending.scheduled else { return false }
            pending.scheduled = true
            return true
        }
        if schedule {
            self.eventLoop.execute { self.drain() }
        }
    }

    private func drain() {
        let items = self.pending.withLock { pending -> [Item] in
            pending.scheduled = false
            defer { pending.items.removeAll(keepingCapacity: true) }
            return pending.items
        }
        for item in items {
            item.target.subscriber.deliver(item.run, lossless: item.target.lossless)
        }
        // A subscriber listed twice flushes once: the second call finds nothing unflushed.
        for item in items {
            item.target.subscriber.flush()
        }
    }
}
