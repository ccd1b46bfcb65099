import NIOCore
import NIOWebSocket

/// Closes many WebSocket connections the polite way and says how that went.
///
/// Each gets a close frame; the server answers with its own and closes, and our
/// handlers close on its answer, so that the server sees a normal closure rather
/// than an error per connection. Whatever is still open after `grace` is closed
/// by force and counted. One timer per event loop, not one per connection.
enum ConnectionCloser {
    struct Outcome: Sendable {
        /// Connections that were still open when the close began.
        var closing = 0
        /// Of those, connections that were still open after the grace and were closed by force.
        var forced = 0
        /// From the first close frame until the last connection was closed.
        var seconds: Double = 0
    }

    /// Closes `channels`; requires NIO's `WebSocketFrameEncoder` in each pipeline
    /// (all connections of `WebSocketConnector` have it).
    static func closeAll(_ channels: [any Channel], grace: TimeAmount = .seconds(2)) async -> Outcome {
        let started = NIODeadline.now()
        var byLoop: [ObjectIdentifier: [any Channel]] = [:]
        for channel in channels { byLoop[ObjectIdentifier(channel.eventLoop), default: []].append(channel) }
        // Start every loop's closing before waiting for any, so that all share one grace.
        let counts: [EventLoopFuture<(closing: Int, forced: Int)>] = byLoop.values.map { group in
            let loop = group[0].eventLoop
            return loop.flatSubmit {
                var closing = 0
                for channel in group where channel.isActive {
                    closing += 1
                    var status = channel.allocator.buffer(capacity: 2)
                    status.writeInteger(UInt16(1000))  // normal closure
                    channel.writeAndFlush(
                        WebSocketFrame(fin: true, opcode: .connectionClose, maskKey: .random(), data: status), promise: nil)
                }
                let forcing = loop.scheduleTask(deadline: started + grace) { () -> Int in
                    var forced = 0
                    for channel in group where channel.isActive {
                        forced += 1
                        channel.close(promise: nil)
                    }
                    return forced
                }
                let forced = forcing.futureResult.recover { _ in 0 }
                return EventLoopFuture.andAllComplete(group.map(\.closeFuture), on: loop).flatMap {
                    forcing.cancel()
                    return forced
                }.map { [closing] forced in (closing, forced) }
            }
        }
        var outcome = Outcome()
        for count in counts {
            let (closing, forced) = (try? await count.get()) ?? (0, 0)
            outcome.closing += closing
            outcome.forced += forced
        }
        outcome.seconds = Double((NIODeadline.now() - started).nanoseconds) / 1e9
        return outcome
    }
}
