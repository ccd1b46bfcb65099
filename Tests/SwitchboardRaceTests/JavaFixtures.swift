import Foundation
import Testing

/// Streams written by the real JDK: `Java/StandingsWriter.java`, compiled and run once per test run.
///
/// `javac`/`java` come from `default-jdk-headless` (`scripts/test` installs it). Without them the
/// tests that need them are skipped locally; under `CI=true` they run and fail instead.
struct JavaFixtures: Sendable {
    /// Two streams back to back (a connection that restarted), with resets, back-references, a long string…
    let stream: [UInt8]
    /// The length of the first stream within ``stream``.
    let firstStreamLength: Int
    /// What the decoder must print: one snapshot per line, as `StandingsWriter` wrote them.
    let expected: [String]

    static let javaAvailable = JavaFixtures.which("javac") != nil && JavaFixtures.which("java") != nil
    /// Under CI a missing JDK is a failure, never a skip.
    static let enabled = javaAvailable || ProcessInfo.processInfo.environment["CI"] == "true"

    static let shared: Result<JavaFixtures, FixtureError> = Result { try JavaFixtures.generate() }.mapError {
        $0 as? FixtureError ?? FixtureError(description: "\($0)")
    }

    static func load() throws -> JavaFixtures { try self.shared.get() }

    struct FixtureError: Error, CustomStringConvertible { let description: String }

    static var sourceFile: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Java/StandingsWriter.java").path
    }

    static func generate() throws -> JavaFixtures {
        guard let javac = self.which("javac"), let java = self.which("java") else {
            throw FixtureError(description: "javac/java not found: install default-jdk-headless (scripts/test does)")
        }
        let directory = NSTemporaryDirectory() + "switchboard-race-java-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try self.run(javac, ["-encoding", "UTF-8", "-d", directory, self.sourceFile])
        try self.run(java, ["-cp", directory, "StandingsWriter", directory])
        let stream = [UInt8](try Data(contentsOf: URL(fileURLWithPath: directory + "/standings.bin")))
        let expected = try String(contentsOfFile: directory + "/expected.ndjson", encoding: .utf8)
        let length = try String(contentsOfFile: directory + "/first-stream-length.txt", encoding: .utf8)
        return JavaFixtures(
            stream: stream,
            firstStreamLength: Int(length) ?? 0,
            expected: expected.split(separator: "\n").map(String.init)
        )
    }

    static func which(_ program: String) -> String? {
        let paths = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":")
        return paths.map { "\($0)/\(program)" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    static func run(_ program: String, _ arguments: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: program)
        process.arguments = arguments
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = errors
        try process.run()
        let output = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw FixtureError(description: "\(program) \(arguments.joined(separator: " ")) failed: \(String(decoding: output, as: UTF8.self))")
        }
    }
}
