import Logging
import NIOCore
import Synchronization

/// The open WebSocket and TCP connections: counted for the connection limit,
/// and closed politely (WebSocket 1001) when the hub shuts down.
final class ConnectionRegistry: Sendable {
    /// Closes one connection for a shutdown.
    typealias Closer = @Sendable () -> Void

    private struct State {
        var closers: [ObjectIdentifier: Closer] = [:]
        var closed = false
        /// Open connections per peer address, kept only when a per-address limit is set.
        var perAddress: [String: Int] = [:]
        var addresses: [ObjectIdentifier: String] = [:]
    }

    private let state = Mutex(State())
    let maxConnections: Int
    /// Open connections from one IP address; 0 = no limit.
    let maxPerAddress: Int

    init(maxConnections: Int, maxPerAddress: Int = 0) {
        self.maxConnections = maxConnections
        self.maxPerAddress = maxPerAddress
    }

    /// Registers a connection from `address` (its IP); false when a limit is reached or the hub is shutting down.
    func add(_ id: ObjectIdentifier, address: String? = nil, closer: @escaping Closer) -> Bool {
        self.state.withLock { state in
            guard !state.closed, state.closers.count < self.maxConnections else { return false }
            if self.maxPerAddress > 0, let address {
                guard state.perAddress[address, default: 0] < self.maxPerAddress else { return false }
                state.perAddress[address, default: 0] += 1
                state.addresses[id] = address
            }
            state.closers[id] = closer
            return true
        }
    }

    func remove(_ id: ObjectIdentifier) {
        self.state.withLock { state in
            state.closers.removeValue(forKey: id)
            if let address = state.addresses.removeValue(forKey: id) {
                state.perAddress[address, default: 1] -= 1
                if state.perAddress[address] == 0 { state.perAddress[address] = nil }
            }
        }
    }

    /// What a refused connection is told.
    var limitDescription: String {
        "too many connections (limits: \(self.maxConnections) in total" + (self.maxPerAddress > 0 ? ", \(self.maxPerAddress) per IP address)" : ")")
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
