import NIOConcurrencyHelpers
import NIOCore

/// A listener's open connections, so that shutdown can ask them to finish and wait for them.
final class ChildChannels: Sendable {
    private let channels = NIOLockedValueBox<[ObjectIdentifier: any Channel]>([:])

    func add(_ channel: any Channel) {
        let id = ObjectIdentifier(channel)
        self.channels.withLockedValue { $0[id] = channel }
        channel.closeFuture.whenComplete { _ in _ = self.channels.withLockedValue { $0.removeValue(forKey: id) } }
    }

    /// Tells every connection the server is going away: an idle HTTP connection closes, one
    /// with a request in flight closes after its response (Hummingbird's connection handler).
    func quiesce() {
        for channel in self.channels.withLockedValue({ Array($0.values) }) {
            channel.pipeline.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent())
        }
    }

    func waitForAll(timeout: Duration) async {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline, !self.channels.withLockedValue({ $0.isEmpty }) {
            try? await Task.sleep(for: .milliseconds(20))
        }
    }
}
