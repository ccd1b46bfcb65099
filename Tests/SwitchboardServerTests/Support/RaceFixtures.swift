import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The JDK-written standings stream of `Tests/SwitchboardRaceTests/Java/StandingsWriter.java`, for
/// the race source's tests over a real hub. Without javac/java the tests are skipped locally;
/// under `CI=true` they fail instead.
struct RaceFixtures: Sendable {
    let stream: [UInt8]
    /// One snapshot per line, exactly as the hub must publish them.
    let expected: [String]

    static let enabled = ["javac", "java"].allSatisfy { Self.which($0) != nil } || ProcessInfo.processInfo.environment["CI"] == "true"
    static let shared: Result<RaceFixtures, RaceFixtureError> = Result { try RaceFixtures.generate() }.mapError {
        $0 as? RaceFixtureError ?? RaceFixtureError(description: "\($0)")
    }

    static func load() throws -> RaceFixtures { try self.shared.get() }

    static var testsDirectory: URL { URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent() }
    static var seedHexDump: String { self.testsDirectory.appendingPathComponent("SwitchboardRaceTests/Fixtures/seed001-hexdump.txt").path }

    static func generate() throws -> RaceFixtures {
        guard let javac = self.which("javac"), let java = self.which("java") else {
            throw RaceFixtureError(description: "javac/java not found: install default-jdk-headless (scripts/test does)")
        }
        let source = self.testsDirectory.appendingPathComponent("SwitchboardRaceTests/Java/StandingsWriter.java").path
        let directory = TestFiles.temporaryDirectory()
        for (program, arguments) in [(javac, ["-encoding", "UTF-8", "-d", directory, source]), (java, ["-cp", directory, "StandingsWriter", directory])] {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: program)
            process.arguments = arguments
            try process.run()
            process.waitUntilExit()
            guard process.terminationStatus == 0 else { throw RaceFixtureError(description: "\(program) failed") }
        }
        return RaceFixtures(
            stream: [UInt8](try Data(contentsOf: URL(fileURLWithPath: directory + "/standings.bin"))),
            expected: try String(contentsOfFile: directory + "/expected.ndjson", encoding: .utf8).split(separator: "\n").map(String.init)
        )
    }

    static func which(_ program: String) -> String? {
        (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":").map { "\($0)/\(program)" }
            .first { FileManager.default.isExecutableFile(atPath: $0) }
    }
}

struct RaceFixtureError: Error, CustomStringConvertible { let description: String }

/// Plain blocking loopback sockets, used from threads of their own: the peers of a TCP tap.
enum LoopbackSocket {
    struct Failure: Error, CustomStringConvertible { let description: String }

    /// A listening socket on 127.0.0.1 and its port.
    static func listen() throws -> (fd: Int32, port: Int) {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = Self.address(port: 0)
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer -> Bool in
                bind(fd, pointer, length) == 0 && Glibc.listen(fd, 16) == 0 && getsockname(fd, pointer, &length) == 0
            }
        }
        guard bound else { throw Failure(description: "cannot listen: errno \(errno)") }
        // A blocking accept (and a read on what it accepts) gives up after 30 s: a test that
        // failed before its peer connected must still end, not wait on a thread forever.
        var limit = timeval(tv_sec: 30, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
        return (fd, Int(UInt16(bigEndian: address.sin_port)))
    }

    /// A port nobody listens on right now.
    static func freePort() throws -> Int {
        let (fd, port) = try self.listen()
        close(fd)
        return port
    }

    static func connect(port: Int, within timeout: TimeInterval) throws -> Int32 {
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var address = Self.address(port: port)
            let connected = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
            }
            if connected { return fd }
            close(fd)
            guard Date() < deadline else { throw Failure(description: "cannot connect to port \(port)") }
            usleep(50_000)
        }
    }

    static func address(port: Int) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        return address
    }

    static func write(_ fd: Int32, _ bytes: ArraySlice<UInt8>) throws {
        var offset = bytes.startIndex
        while offset < bytes.endIndex {
            let written = bytes[offset...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard written > 0 else { throw Failure(description: "write failed: errno \(errno)") }
            offset += written
        }
    }

    /// Everything until the peer closes (or half-closes) its side.
    static func readToEnd(_ fd: Int32) -> [UInt8] {
        var result: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            guard count > 0 else { return result }
            result += buffer[..<count]
        }
    }

    /// Runs `body` on a thread of its own (blocking socket calls stay off the concurrency pool).
    static func onThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread { continuation.resume(with: Result { try body() }) }
        }
    }
}
