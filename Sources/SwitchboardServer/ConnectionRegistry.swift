import Logging
import NIOCore
import Synchronization

/// The open WebSocket and TCP connections: counted for the connection limit,
/// and closed politely (WebSocket 1001) when the hub shuts down.
final class ConnectionRegistry: Sendable {
    /// Closes one connection for a shutdown.
    typealias Closer = @Sendable () -> Void

    private let state = Mutex<(closers: [ObjectIdentifier: Closer], closed: Bool)>(([:], false))
    let maxConnections: Int

    init(maxConnections: Int) {
        self.maxConnections = maxConnections
    }

    /// Registers a connection; false when the limit is reached or the hub is shutting down.
    func add(_ id: ObjectIdentifier, closer: @escaping Closer) -> Bool {
        self.state.withLock { state in
            guard !state.closed, state.closers.count < self.maxConnections else { return false }
            state.closers[id] = closer
            return true
        }
    }

    func remove(_ id: ObjectIdentifier) {
        _ = self.state.withLock { $0.closers.removeValue(forKey: id) }
    }

    var count: Int { self.state.withLock { $0.closers.count } }

    /// Refuses new connections and closes every open one.
    func closeAll() {
        let closers = self.state.withLock { state in
            state.closed = true
            return Array(state.closers.values)
        }
        for close in closers { close() }
    }
}
