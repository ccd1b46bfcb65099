import NIOCore

/// The wire protocol of one side of a fan-out run (publisher or subscribers), as
/// its URL's scheme chose it: how to connect, how to frame a message, how to say
/// goodbye. `FanoutRun` is written against this alone, so the schedule, the
/// bookkeeping and the timeouts are the same for every protocol.
protocol FanoutEndpoint: Sendable {
    /// Opens subscriber connection `number` on `eventLoop`, subscribed and ready to
    /// receive, recording into row `slot` of `tally`.
    func connectSubscriber(number: Int, on eventLoop: any EventLoop, tally: NIOLoopBound<LoopTally>, slot: Int) async throws -> any Channel

    /// Opens the publisher connection, ready to publish.
    func connectPublisher(number: Int, on eventLoop: any EventLoop) async throws -> any Channel

    /// How the publisher puts each message on the wire.
    func messageFraming() -> any MessageFraming

    /// Starts closing a connection of the run the way the protocol expects, so that
    /// the server sees a normal goodbye rather than an error per connection; the
    /// channel's `closeFuture` completes when it is closed.
    func closeGracefully(_ channel: any Channel)
}

/// Wraps benchmark messages in the frames or packets of a wire protocol.
protocol MessageFraming: Sendable {
    /// Writes message `index` (`BenchMessage`, about `size` bytes) to `channel`
    /// without flushing; called on the channel's event loop.
    mutating func write(index: Int, intendedTime: UInt64, size: Int, to channel: any Channel)
}
