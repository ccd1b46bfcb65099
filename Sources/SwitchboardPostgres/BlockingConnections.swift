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
    /// How long a statement may go unanswered before its connection is given up (see `run`).
    let answerTimeout: TimeAmount
    private let group: MultiThreadedEventLoopGroup
    private let logger: Logger
    /// The one connection that writes, so the committer's transactions reach the server in order,
    /// and its server process. Reconnected on the next use after the server dropped it.
    private let writer: Mutex<Writer?>
    /// The server process of a writer given up with a statement unanswered: it may still run that
    /// statement, so the next writer ends it before writing anything (see `settle`).
    private let abandonedBackend = Mutex<Int32?>(nil)
    /// Reading connections not in use right now; `readSlots` bounds how many exist.
    private let idleReaders = Mutex<[PostgresConnection]>([])
    private let readSlots = DispatchSemaphore(value: BlockingConnections.maxReaders)
    private let nextID = Atomic<Int>(1)
    private let isClosed = Atomic<Bool>(false)

    /// Connects the writer at once, so a wrong URL or a server that is down shows at start-up.
    init(location: PostgresURL, answerTimeout: TimeAmount, logger: Logger) throws {
        self.location = location
        self.answerTimeout = answerTimeout
        self.logger = logger
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        self.group = group
        self.writer = Mutex(nil)
        do {
            let writer = try self.connectWriter()
            self.writer.withLock { $0 = writer }
        } catch {
            self.isClosed.store(true, ordering: .relaxed)  // deinit leaves the group alone
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
                if writer == nil || writer!.connection.isClosed {
                    writer = try self.connectWriter()
                }
                try self.settle(on: writer!.connection)
                return try body(writer!.connection)
            } catch {
                // A connection that left a statement unanswered is closing: the next use connects anew.
                if error is UnansweredStatement {
                    let backend = writer?.backend
                    self.abandonedBackend.withLock { $0 = backend }
                    writer = nil
                }
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
                // A broken connection has nothing to roll back: the server already did (or will,
                // when it sees the connection closed).
                if !connection.isClosed, !(error is UnansweredStatement) { _ = try? self.run("ROLLBACK", on: connection) }
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
            if let connection, !connection.isClosed, !(error is UnansweredStatement) { self.idleReaders.withLock { $0.append(connection) } }
            throw PostgresStoreError(error, endpoint: self.location.endpoint, doing: action)
        }
    }

    /// Runs one statement and collects its rows.
    ///
    /// The wait is bounded: a server that stops answering (a stopped backend, a network that drops
    /// packets silently) would otherwise hold the committer forever. After `answerTimeout` the
    /// statement throws ``UnansweredStatement`` and its connection is closed; the callers above
    /// then never use it again.
    @discardableResult
    func run(_ query: PostgresQuery, on connection: PostgresConnection) throws -> PostgresQueryResult {
        let answer = connection.query(query, logger: self.logger)
        let bounded = answer.eventLoop.makePromise(of: PostgresQueryResult.self)
        let timeout = self.answerTimeout
        let timer = answer.eventLoop.scheduleTask(in: timeout) {
            // Whichever comes first completes `bounded`; NIO ignores the second completion.
            bounded.fail(UnansweredStatement(timeout: timeout))
            // The close is polite (it tells the server), so it ends only once the server reads it;
            // the callback keeps the connection alive until then.
            let closed: EventLoopFuture<Void> = connection.close()
            closed.whenComplete { _ in withExtendedLifetime(connection) {} }
        }
        answer.whenComplete { result in
            timer.cancel()
            bounded.completeWith(result)
        }
        return try bounded.futureResult.wait()
    }

    /// Ends the server process of an abandoned writer, waiting up to `answerTimeout` for it to go:
    /// the statement it was left with then either ran or never will, so what is stored can be asked.
    private func settle(on connection: PostgresConnection) throws {
        guard let backend = self.abandonedBackend.withLock({ $0 }) else { return }
        let wait = Int64(self.answerTimeout.nanoseconds / 2_000_000)
        let rows = try self.run(
            "SELECT pg_terminate_backend(\(backend), \(wait)) OR NOT EXISTS (SELECT 1 FROM pg_stat_activity WHERE pid = \(backend))",
            on: connection)
        let ended = try rows.first?.decode(Bool.self) ?? false
        // Not ended (still stopped after the wait): stays abandoned, tried again on the next connection.
        if ended { self.abandonedBackend.withLock { $0 = nil } }
    }

    // MARK: - Opening and closing

    /// The writing connection and its server process (`pg_backend_pid()`).
    private struct Writer {
        let connection: PostgresConnection
        let backend: Int32
    }

    private func connectWriter() throws -> Writer {
        let connection = try Self.connect(self.location, id: 0, on: self.group, logger: self.logger)
        do {
            let rows = try self.run("SELECT pg_backend_pid()", on: connection)
            return Writer(connection: connection, backend: try rows.first!.decode(Int32.self))
        } catch {
            if !(error is UnansweredStatement) { try? connection.close().wait() }
            throw PostgresStoreError(error, endpoint: self.location.endpoint, doing: "asking for the writer's server process")
        }
    }

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
        for connection in readers + (writer.map { [$0.connection] } ?? []) {
            try? connection.close().wait()
        }
        try self.group.syncShutdownGracefully()
    }
}

/// A statement the server left unanswered for `timeout`; its connection is being closed.
struct UnansweredStatement: Error {
    let timeout: TimeAmount

    var seconds: String {
        let seconds = Double(self.timeout.nanoseconds) / 1e9
        return seconds == seconds.rounded() ? "\(Int(seconds)) s" : "\(seconds) s"
    }
}
