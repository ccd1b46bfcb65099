import Dispatch
import Logging
import NIOCore
import NIOPosix
import PostgresNIO
import Synchronization

/// The store's connections to PostgreSQL, used by callers that block until an answer arrives.
///
/// Blocking is safe here: the hub calls the store from its committer thread and from dispatch
/// queues, never from an event loop or Swift concurrency's cooperative pool, and the connections
/// run on an event loop of their own. A waiting caller never holds up the thread that would
/// answer it (`EventLoopFuture.wait()` traps if it is ever called on an event loop).
final class BlockingConnections: Sendable {
    /// Reading connections at most: the hub's replay and history reads, a few at a time.
    static let maxReaders = 4

    let location: PostgresURL
    private let group: MultiThreadedEventLoopGroup
    private let logger: Logger
    /// The one connection that writes, so the committer's transactions reach the server in order.
    /// Reconnected on the next use after the server dropped it.
    private let writer: Mutex<PostgresConnection?>
    /// Reading connections not in use right now; `readSlots` bounds how many exist.
    private let idleReaders = Mutex<[PostgresConnection]>([])
    private let readSlots = DispatchSemaphore(value: BlockingConnections.maxReaders)
    private let nextID = Atomic<Int>(1)
    private let isClosed = Atomic<Bool>(false)

    /// Connects the writer at once, so a wrong URL or a server that is down shows at start-up.
    init(location: PostgresURL, logger: Logger) throws {
        self.location = location
        self.logger = logger
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        self.group = group
        do {
            self.writer = Mutex(try Self.connect(location, id: 0, on: group, logger: logger))
        } catch {
            try? group.syncShutdownGracefully()
            throw error
        }
    }

    deinit {
        // A store dropped without close(): let the event loop go without waiting for it.
        if !self.isClosed.load(ordering: .relaxed) { self.group.shutdownGracefully { _ in } }
    }

    // MARK: - Using connections

    /// Runs `body` with the writing connection, one caller at a time.
    @discardableResult
    func write<Result: Sendable>(_ action: String, _ body: (PostgresConnection) throws -> Result) throws -> Result {
        try self.writer.withLock { writer throws -> Result in
            try self.checkOpen(action)
            do {
                if writer == nil || writer!.isClosed {
                    writer = try Self.connect(self.location, id: 0, on: self.group, logger: self.logger)
                }
                return try body(writer!)
            } catch {
                throw PostgresStoreError(error, endpoint: self.location.endpoint, doing: action)
            }
        }
    }

    /// Runs `body` with the writing connection inside `BEGIN` … `COMMIT` (rolled back if it throws).
    @discardableResult
    func transaction<Result: Sendable>(_ action: String, _ body: (PostgresConnection) throws -> Result) throws -> Result {
        try self.write(action) { connection in
            try self.run("BEGIN", on: connection)
            do {
                let result = try body(connection)
                try self.run("COMMIT", on: connection)
                return result
            } catch {
                // A broken connection has nothing to roll back: the server already did.
                if !connection.isClosed { _ = try? self.run("ROLLBACK", on: connection) }
                throw error
            }
        }
    }

    /// Runs `body` with one of the reading connections, waiting while all of them are busy.
    @discardableResult
    func read<Result: Sendable>(_ action: String, _ body: (PostgresConnection) throws -> Result) throws -> Result {
        try self.checkOpen(action)
        self.readSlots.wait()
        defer { self.readSlots.signal() }
        var connection = self.idleReaders.withLock { $0.popLast() }
        do {
            if connection == nil || connection!.isClosed {
                let id = self.nextID.wrappingAdd(1, ordering: .relaxed).oldValue
                connection = try Self.connect(self.location, id: id, on: self.group, logger: self.logger)
            }
            let result = try body(connection!)
            self.idleReaders.withLock { $0.append(connection!) }
            return result
        } catch {
            // Kept only if it still works (a query's own error leaves the connection usable).
            if let connection, !connection.isClosed { self.idleReaders.withLock { $0.append(connection) } }
            throw PostgresStoreError(error, endpoint: self.location.endpoint, doing: action)
        }
    }

    /// Runs one statement and collects its rows.
    @discardableResult
    func run(_ query: PostgresQuery, on connection: PostgresConnection) throws -> PostgresQueryResult {
        try connection.query(query, logger: self.logger).wait()
    }

    // MARK: - Opening and closing

    private static func connect(
        _ location: PostgresURL, id: Int, on group: MultiThreadedEventLoopGroup, logger: Logger
    ) throws -> PostgresConnection {
        do {
            return try PostgresConnection.connect(on: group.next(), configuration: location.configuration, id: id, logger: logger).wait()
        } catch {
            throw PostgresStoreError(error, endpoint: location.endpoint, doing: "connecting as \(location.username) to database \(location.database)")
        }
    }

    private func checkOpen(_ action: String) throws {
        if self.isClosed.load(ordering: .relaxed) {
            throw PostgresStoreError(.closed, "the PostgreSQL store is closed (\(action))")
        }
    }

    /// Closes every connection and stops the event loop; later calls throw `.closed`.
    func close() throws {
        guard !self.isClosed.exchange(true, ordering: .relaxed) else { return }
        let writer = self.writer.withLock { writer in
            defer { writer = nil }
            return writer
        }
        let readers = self.idleReaders.withLock { readers in
            defer { readers = [] }
            return readers
        }
        for connection in readers + (writer.map { [$0] } ?? []) {
            try? connection.close().wait()
        }
        try self.group.syncShutdownGracefully()
    }
}
