import Foundation

/// A real redis-server on 127.0.0.1 for tests: its own free port and scratch directory, no
/// persistence. `scripts/test` installs it (Debian package `redis-server`).
///
/// It is spawned with `posix_spawn` rather than `Process` so that it starts with no signals blocked:
/// a child inherits the spawning thread's signal mask, and test threads (Swift concurrency, NIO)
/// block SIGTERM, which left `stop()` waiting forever for a server that never saw the signal.
public final class RedisServer: @unchecked Sendable {  // `pid` is only touched under `lock`
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    public let port: Int
    public let directory: URL
    private let extraArguments: [String]
    private let lock = NSLock()
    private var pid: pid_t?

    public var url: String { "redis://127.0.0.1:\(self.port)" }

    /// Where redis-server is, or nil when it is not installed.
    public static let executable: String? = ["/usr/bin/redis-server", "/usr/local/bin/redis-server", "/opt/homebrew/bin/redis-server"]
        .first { FileManager.default.isExecutableFile(atPath: $0) }

    /// Whether tests that need it should run: when it is installed, and always under `CI=true`
    /// (where a missing redis-server must fail, not skip).
    public static var isAvailable: Bool { self.executable != nil || ProcessInfo.processInfo.environment["CI"] == "true" }

    private init(port: Int, extraArguments: [String]) {
        self.port = port
        self.extraArguments = extraArguments
        self.directory = ServicePorts.scratchDirectory("switchboard-redis")
    }

    /// Starts a server and waits (up to ~10 s) until it answers PING.
    /// - Parameter arguments: more `redis-server` options, e.g. `["--requirepass", "secret"]`.
    public static func start(port: Int? = nil, arguments: [String] = []) throws -> RedisServer {
        let server = RedisServer(port: port ?? ServicePorts.free(), extraArguments: arguments)
        try server.launch()
        return server
    }

    /// Stops it gracefully (SIGTERM) and waits for it to exit.
    public func stop() { self.signal(SIGTERM) }

    /// Kills it at once (SIGKILL), like a crash; returns when it is gone.
    public func kill() { self.signal(SIGKILL) }

    private func signal(_ signal: Int32) {
        self.lock.withLock {
            guard let pid = self.pid else { return }
            self.pid = nil
            Foundation.kill(pid, signal)
            var status: Int32 = 0
            while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
        }
    }

    /// Starts it again on the same port (after `stop()` or `kill()`).
    public func restart() throws {
        self.stop()
        try self.launch()
    }

    deinit {
        self.stop()
        try? FileManager.default.removeItem(at: self.directory)
    }

    // MARK: - Launching

    private func launch() throws {
        guard let executable = Self.executable else {
            throw Failure(description: "redis-server not found: install the Debian package redis-server (scripts/test does)")
        }
        let arguments = [
            executable, "--port", "\(self.port)", "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
            "--dir", self.directory.path, "--logfile", self.directory.appendingPathComponent("redis.log").path,
        ] + self.extraArguments
        let pid = try Self.spawn(arguments)
        self.lock.withLock { self.pid = pid }

        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline {
            var status: Int32 = 0
            if waitpid(pid, &status, WNOHANG) == pid {
                self.lock.withLock { self.pid = nil }
                throw Failure(description: "redis-server exited (status \(status)) on port \(self.port): \(self.logTail())")
            }
            if Self.answersPing(port: self.port) { return }
            usleep(20_000)
        }
        self.kill()
        throw Failure(description: "redis-server did not answer PING on port \(self.port) within 10 s: \(self.logTail())")
    }

    /// posix_spawn with an empty signal mask and default signal handlers, stdin/stdout/stderr on /dev/null.
    private static func spawn(_ arguments: [String]) throws -> pid_t {
        #if os(Linux)
        var attributes = posix_spawnattr_t()
        var actions = posix_spawn_file_actions_t()
        #else
        var attributes: posix_spawnattr_t?
        var actions: posix_spawn_file_actions_t?
        #endif
        posix_spawnattr_init(&attributes)
        posix_spawn_file_actions_init(&actions)
        defer {
            posix_spawnattr_destroy(&attributes)
            posix_spawn_file_actions_destroy(&actions)
        }
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGTERM, SIGINT, SIGHUP, SIGPIPE, SIGALRM, SIGUSR1, SIGUSR2, SIGCHLD] { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)

        var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        defer { for argument in argv { free(argument) } }
        var pid: pid_t = 0
        let result = posix_spawn(&pid, arguments[0], &actions, &attributes, &argv, environ)
        guard result == 0 else {
            throw Failure(description: "cannot start \(arguments[0]): \(String(cString: strerror(result)))")
        }
        return pid
    }

    private func logTail() -> String {
        let log = (try? String(contentsOf: self.directory.appendingPathComponent("redis.log"), encoding: .utf8)) ?? ""
        return String(log.suffix(600))
    }

    /// PING over a plain socket: any reply starting with `+PONG` or `-NOAUTH` (a password is set) means it is up.
    private static func answersPing(port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var timeout = timeval(tv_sec: 1, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
        guard connected else { return false }
        let ping = Array("PING\r\n".utf8)
        guard send(fd, ping, ping.count, Int32(MSG_NOSIGNAL)) == ping.count else { return false }
        var reply = [UInt8](repeating: 0, count: 64)
        let count = recv(fd, &reply, reply.count, 0)
        guard count > 0 else { return false }
        let text = String(decoding: reply[..<count], as: UTF8.self)
        return text.hasPrefix("+PONG") || text.hasPrefix("-NOAUTH")
    }
}
