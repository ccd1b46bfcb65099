import Logging
import NIOCore
import SwitchboardCore
import SwitchboardRace

/// Where a `race` source's snapshots go: joined with the start list, published on the source's
/// topic only when they differ from the last one published. Decoding never waits for it:
/// ``submit(_:)`` queues, and ``run()`` publishes in order.
final class RacePublisher: Sendable {
    enum Event: Sendable {
        case snapshot(Snapshot)
        /// The watched start list changed: the last snapshot is joined and published again (if it changed).
        case startListChanged
    }

    let context: SourceContext
    let startList: RaceStartList?
    private let events: AsyncStream<Event>
    private let sink: AsyncStream<Event>.Continuation

    init(context: SourceContext, startList: RaceStartList?) {
        self.context = context
        self.startList = startList
        (self.events, self.sink) = AsyncStream.makeStream(of: Event.self)
    }

    /// Queues snapshots for publishing; never blocks.
    func submit(_ snapshots: [Snapshot]) {
        for snapshot in snapshots { self.sink.yield(.snapshot(snapshot)) }
    }

    /// Nothing more will be submitted: ``run()`` returns once the queue is published.
    func finish() {
        self.sink.finish()
    }

    /// Publishes until ``finish()`` or cancellation.
    func run() async {
        await withDiscardingTaskGroup { group in
            if let startList = self.startList, startList.watch {
                let sink = self.sink
                group.addTask {
                    await startList.watchForChanges(logger: self.context.logger, report: self.context.report) {
                        sink.yield(.startListChanged)
                    }
                }
            }
            var last: Snapshot?
            var published: String?
            for await event in self.events {
                switch event {
                case .snapshot(let snapshot): last = snapshot
                case .startListChanged: break
                }
                guard let snapshot = last else { continue }
                let json = (self.startList?.current.join(snapshot) ?? snapshot).json
                guard json != published else { continue }
                if await self.context.publish(buffer: ByteBuffer(string: json)) { published = json }
            }
            group.cancelAll()
        }
    }

    /// The descriptor of a `race` topic: a leaderboard of the stream's seven fields.
    static func descriptor(title: String) -> JSONValue {
        .object([
            ("title", .string(title)), ("kind", .string("leaderboard")),
            ("fields", .array(["rank", "bib", "name", "club", "class", "time", "gap"].map { .string($0) })),
        ])
    }
}
