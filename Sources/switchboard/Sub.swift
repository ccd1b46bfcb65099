import ArgumentParser
import Foundation
import HummingbirdWSClient
import Logging
import NIOWebSocket

/// `switchboard sub <pattern>`: prints every message as one JSON envelope per line (NDJSON).
struct Sub: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Subscribe to a pattern and print envelopes as NDJSON on stdout.",
        discussion: "Examples:\n  switchboard sub 'lab/#'\n  switchboard sub lab/temp --since 40\n  switchboard sub 'lab/#' --last 10 --count 10"
    )

    @Argument(help: "A topic or pattern (+ one segment, # the rest).")
    var pattern: String
    @Option(help: "Replay every message after this seq (per matching topic) first.")
    var since: Int64?
    @Option(help: "Send the newest N stored messages of each matching topic first.")
    var last: Int?
    @Option(help: "Exit after this many messages.")
    var count: Int?
    @Flag(help: "Print only each message's data.")
    var dataOnly = false
    @Option(help: "The hub's WebSocket address.")
    var url: String = (ProcessInfo.processInfo.environment["SWITCHBOARD_URL"] ?? "http://127.0.0.1:8080")
        .replacingOccurrences(of: "http", with: "ws")

    func run() async throws {
        var query: [String] = []
        if let since { query.append("since=\(since)") }
        if let last { query.append("last=\(last)") }
        if self.dataOnly { query.append("format=data") }
        if let token = HTTPClient.token { query.append("token=\(token)") }
        let pattern = self.pattern.replacingOccurrences(of: "#", with: "%23")
        let target = self.url.trimmingCharacters(in: CharacterSet(charactersIn: "/")) + "/ws/sub/" + pattern
            + (query.isEmpty ? "" : "?" + query.joined(separator: "&"))
        let limit = self.count
        var logger = Logger(label: "switchboard.sub")
        logger.logLevel = .warning
        let close = try await WebSocketClient.connect(url: target, logger: logger) { inbound, outbound, _ in
            var received = 0
            for try await message in inbound.messages(maxSize: 16 << 20) {
                guard case .text(let text) = message else { continue }
                if text.hasPrefix("{\"op\":") {
                    FileHandle.standardError.write(Data((text + "\n").utf8))
                    continue
                }
                FileHandle.standardOutput.write(Data((text + "\n").utf8))
                received += 1
                if let limit, received >= limit {
                    try await outbound.close(.normalClosure, reason: nil)
                    return
                }
            }
        }
        if let close, close.closeCode != .normalClosure {
            FileHandle.standardError.write(Data("connection closed: \(close.closeCode) \(close.reason ?? "")\n".utf8))
            throw ExitCode(1)
        }
    }
}
