import NIOConcurrencyHelpers
import NIOCore

/// One timer per event loop for the keep-alive pings of all its WebSocket connections.
///
/// A `RepeatedTask` per connection cost an idle connection a task object, a closure and a
/// scheduled-task entry (memory per connection is a goal), and every new connection a timer
/// scheduled and later cancelled. Here a connection is an entry in a dictionary; the loop's
/// one timer fires every second and calls the connections whose interval has passed.
/// `@unchecked Sendable`: found from any thread, but its members are touched on its loop only.
final class KeepAliveClock: @unchecked Sendable {
    private struct Member {
        let connection: WebSocketConnection
        let interval: TimeAmount
        var due: NIODeadline
    }

    private static let clocks = NIOLockedValueBox<[ObjectIdentifier: KeepAliveClock]>([:])
    static let resolution = TimeAmount.seconds(1)

    private let eventLoop: any EventLoop
    /// Touched on `eventLoop` only.
    private var members: [ObjectIdentifier: Member] = [:]

    private init(eventLoop: any EventLoop) {
        self.eventLoop = eventLoop
    }

    /// The clock of `eventLoop` (started on first use; it runs as long as the loop does).
    static func on(_ eventLoop: any EventLoop) -> KeepAliveClock {
        let (clock, isNew) = Self.clocks.withLockedValue { clocks -> (KeepAliveClock, Bool) in
            if let clock = clocks[ObjectIdentifier(eventLoop)] { return (clock, false) }
            let clock = KeepAliveClock(eventLoop: eventLoop)
            clocks[ObjectIdentifier(eventLoop)] = clock
            return (clock, true)
        }
        if isNew {
            eventLoop.scheduleRepeatedTask(initialDelay: Self.resolution, delay: Self.resolution) { _ in clock.tick() }
        }
        return clock
    }

    /// Calls `connection.keepAliveDue()` every `interval` (to within a second) until `remove`.
    func add(_ connection: WebSocketConnection, interval: TimeAmount) {
        self.eventLoop.preconditionInEventLoop()
        self.members[ObjectIdentifier(connection)] = Member(connection: connection, interval: interval, due: .now() + interval)
    }

    func remove(_ connection: WebSocketConnection) {
        self.eventLoop.preconditionInEventLoop()
        self.members[ObjectIdentifier(connection)] = nil
    }

    private func tick() {
        let now = NIODeadline.now()
        var due: [WebSocketConnection] = []
        for (id, member) in self.members where member.due <= now {
            self.members[id]!.due = now + member.interval
            due.append(member.connection)
        }
        // Called after the loop over `members`: a connection may close (and leave) from here.
        for connection in due { connection.keepAliveDue() }
    }
}
