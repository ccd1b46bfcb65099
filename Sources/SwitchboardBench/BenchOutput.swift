import Foundation

/// How the new subcommands print: results on standard output (one line, or one
/// JSON object with `--json`), progress and errors on standard error, so that a
/// script can keep the JSON and the log apart.
enum BenchOutput {
    /// `value` as one line of JSON with sorted keys.
    static func json(_ value: some Encodable) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    /// Writes `line` to standard error at once (no buffering, so progress shows while a run goes on).
    static func progress(_ line: String) {
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }
}
