import Foundation

/// A throwaway PostgreSQL server on a free loopback port, with a fresh database per test.
///
/// `initdb` makes a cluster in a scratch directory (trust authentication, user `switchboard`),
/// `postgres` serves it on 127.0.0.1 only. PostgreSQL refuses to run as root, so when the tests
/// do (CI containers), both run as the `postgres` system user, which then owns the directory.
/// A watchdog shell stops the server and removes the directory if the test process dies
/// without calling ``stop()``, so no server outlives a crashed test run.
public final class PostgresServer: @unchecked Sendable {
    public let port: Int
    /// The scratch directory: the cluster in `data/`, the server's log in `postgres.log`, its socket.
    public let directory: URL
    private let binDirectory: URL
    private let server: Process
    private let watchdog: Process
    private let watchdogInput: Pipe
    private let lock = NSLock()

    /// Why no server could be started: no PostgreSQL installed, or it did not come up.
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    /// How long the server may take to accept connections.
    static let startTimeout: TimeInterval = 20

    /// The directory holding `initdb` and `postgres`: on PATH, else Debian's /usr/lib/postgresql/<version>/bin (newest).
    public static func binDirectory() -> URL? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        for entry in path.split(separator: ":") {
            let candidate = URL(fileURLWithPath: String(entry)).appendingPathComponent("initdb")
            if FileManager.default.isExecutableFile(atPath: candidate.path) {
                // /usr/local/bin/initdb may be a link into the version's bin directory, where `postgres` and `psql` sit.
                return candidate.resolvingSymlinksInPath().deletingLastPathComponent()
            }
        }
        let versions = (try? FileManager.default.contentsOfDirectory(atPath: "/usr/lib/postgresql")) ?? []
        for version in versions.sorted(by: { (Int($0) ?? 0) > (Int($1) ?? 0) }) {
            let bin = URL(fileURLWithPath: "/usr/lib/postgresql/\(version)/bin")
            if FileManager.default.isExecutableFile(atPath: bin.appendingPathComponent("initdb").path) { return bin }
        }
        return nil
    }

    /// Whether a PostgreSQL server can be started here at all.
    public static var isInstalled: Bool { binDirectory() != nil }

    /// Creates a cluster and starts serving it; returns once it accepts connections.
    public static func start() throws -> PostgresServer {
        guard let bin = binDirectory() else {
            throw Failure(description: "PostgreSQL is not installed (no initdb on PATH or under /usr/lib/postgresql/*/bin)")
        }
        let directory = ServicePorts.scratchDirectory("switchboard-postgres")
        let data = directory.appendingPathComponent("data")
        do {
            if geteuid() == 0 {
                // PostgreSQL will not run as root: the postgres system user owns the cluster.
                guard getpwnam("postgres") != nil else {
                    throw Failure(description: "the tests run as root, PostgreSQL will not, and there is no postgres user to run it as")
                }
                try FileManager.default.setAttributes([.ownerAccountName: "postgres"], ofItemAtPath: directory.path)
            }
            try run(
                bin.appendingPathComponent("initdb"),
                ["-D", data.path, "-A", "trust", "-U", "switchboard", "-E", "UTF8", "--locale=C", "--no-sync"],
                in: directory, asPostgres: true)
            return try PostgresServer(bin: bin, directory: directory)
        } catch {
            try? FileManager.default.removeItem(at: directory)
            throw error
        }
    }

    private init(bin: URL, directory: URL) throws {
        self.binDirectory = bin
        self.directory = directory
        self.port = ServicePorts.free()
        let log = directory.appendingPathComponent("postgres.log")
        FileManager.default.createFile(atPath: log.path, contents: nil)
        let output = try FileHandle(forWritingTo: log)
        defer { try? output.close() }
        let (executable, arguments) = Self.command(
            bin.appendingPathComponent("postgres"),
            [
                "-D", directory.appendingPathComponent("data").path, "-p", "\(self.port)", "-k", directory.path,
                "-c", "listen_addresses=127.0.0.1", "-c", "fsync=on", "-c", "max_connections=200",
                "-c", "log_min_messages=warning",
            ], asPostgres: true)
        self.server = Process()
        self.server.executableURL = executable
        self.server.arguments = arguments
        self.server.currentDirectoryURL = directory
        self.server.standardInput = FileHandle.nullDevice
        self.server.standardOutput = output
        self.server.standardError = output
        try self.server.run()
        // Reads until the test process is gone (its end of the pipe closes), then stops the server
        // and removes the directory; deinit does both itself and ends the watchdog instead.
        self.watchdogInput = Pipe()
        self.watchdog = Process()
        self.watchdog.executableURL = URL(fileURLWithPath: "/bin/sh")
        self.watchdog.arguments = [
            "-c",
            #"while read -r _; do :; done; kill -INT "$1" 2>/dev/null; while kill -0 "$1" 2>/dev/null; do sleep 0.2; done; rm -rf "$2""#,
            "watchdog", "\(self.server.processIdentifier)", directory.path,
        ]
        self.watchdog.standardInput = self.watchdogInput
        self.watchdog.standardOutput = FileHandle.nullDevice
        self.watchdog.standardError = FileHandle.nullDevice
        try self.watchdog.run()
        do {
            try self.waitUntilReady()
        } catch {
            self.kill()
            throw error
        }
    }

    deinit {
        self.stop()
        // End of input ends the watchdog's loop (a signal might not: a child started by a test
        // thread can inherit a mask that blocks SIGTERM).
        try? self.watchdogInput.fileHandleForWriting.close()
        let deadline = Date().addingTimeInterval(5)
        while self.watchdog.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.02) }
        try? FileManager.default.removeItem(at: self.directory)
    }

    // MARK: - Databases

    /// A new empty database; returns its URL (`postgres://switchboard@127.0.0.1:PORT/NAME`).
    public func createDatabase() throws -> String {
        let name = "t_" + UUID().uuidString.prefix(12).lowercased().replacingOccurrences(of: "-", with: "")
        try self.psql("CREATE DATABASE \(name)")
        return self.url(database: name)
    }

    /// The URL of `database` on this server.
    public func url(database: String) -> String {
        "postgres://switchboard@127.0.0.1:\(self.port)/\(database)"
    }

    /// Runs `sql` in the `postgres` database with psql (stops at the first error).
    public func psql(_ sql: String, database: String = "postgres") throws {
        try Self.run(
            self.binDirectory.appendingPathComponent("psql"),
            ["-h", "127.0.0.1", "-p", "\(self.port)", "-U", "switchboard", "-d", database, "-v", "ON_ERROR_STOP=1", "-q", "-c", sql],
            in: self.directory, asPostgres: false)
    }

    /// Runs one query with psql and returns its rows' first column, one string per row.
    public func psqlValues(_ sql: String, database: String = "postgres") throws -> [String] {
        try Self.run(
            self.binDirectory.appendingPathComponent("psql"),
            ["-h", "127.0.0.1", "-p", "\(self.port)", "-U", "switchboard", "-d", database, "-v", "ON_ERROR_STOP=1", "-q", "-A", "-t", "-c", sql],
            in: self.directory, asPostgres: false
        ).split(separator: "\n").map { String($0) }
    }

    // MARK: - Stopping

    /// Whether the server process is still running.
    public var isRunning: Bool { self.server.isRunning }

    /// Fast shutdown (SIGINT: open connections are closed, the server exits cleanly); waits for it.
    public func stop() {
        self.signal(SIGINT, thenWait: 10)
        if self.server.isRunning { self.kill() }
    }

    /// SIGKILL, as a crash or a power cut would: no shutdown checkpoint. Waits for it.
    public func kill() {
        self.signal(SIGKILL, thenWait: 10)
    }

    private func signal(_ signal: Int32, thenWait seconds: TimeInterval) {
        self.lock.lock()
        defer { self.lock.unlock() }
        guard self.server.isRunning else { return }
        Foundation.kill(self.server.processIdentifier, signal)
        let deadline = Date().addingTimeInterval(seconds)
        while self.server.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.02) }
    }

    /// The server's log so far, for a failing test's message.
    public var log: String {
        (try? String(contentsOf: self.directory.appendingPathComponent("postgres.log"), encoding: .utf8)) ?? ""
    }

    // MARK: - Processes

    private func waitUntilReady() throws {
        let deadline = Date().addingTimeInterval(Self.startTimeout)
        let ready = self.binDirectory.appendingPathComponent("pg_isready")
        while Date() < deadline {
            guard self.server.isRunning else {
                throw Failure(description: "postgres exited at start (status \(self.server.terminationStatus)):\n\(self.log)")
            }
            if (try? Self.run(ready, ["-q", "-h", "127.0.0.1", "-p", "\(self.port)", "-U", "switchboard"], in: self.directory, asPostgres: false)) != nil {
                return
            }
            Thread.sleep(forTimeInterval: 0.1)
        }
        throw Failure(description: "postgres did not accept connections on 127.0.0.1:\(self.port) within \(Int(Self.startTimeout)) s:\n\(self.log)")
    }

    /// `executable arguments`, run as the postgres user when we are root and `asPostgres` (setpriv execs, so the pid stays the server's).
    private static func command(_ executable: URL, _ arguments: [String], asPostgres: Bool) -> (URL, [String]) {
        guard asPostgres, geteuid() == 0 else { return (executable, arguments) }
        return (
            URL(fileURLWithPath: "/usr/bin/setpriv"),
            ["--reuid=postgres", "--regid=postgres", "--init-groups", "--", executable.path] + arguments
        )
    }

    /// Runs a tool to its end; throws with its output if it fails.
    @discardableResult
    private static func run(_ executable: URL, _ arguments: [String], in directory: URL, asPostgres: Bool) throws -> String {
        let (path, fullArguments) = command(executable, arguments, asPostgres: asPostgres)
        let process = Process()
        process.executableURL = path
        process.arguments = fullArguments
        process.currentDirectoryURL = directory
        let output = Pipe()
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = output
        process.standardError = output
        try process.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw Failure(description: "\(executable.lastPathComponent) \(arguments.joined(separator: " ")) failed (\(process.terminationStatus)): \(text)")
        }
        return text
    }
}
