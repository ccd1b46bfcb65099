import ArgumentParser
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// `switchboard export <topic> --format csv|ndjson`: the topic's whole history to stdout, page by page,
/// with a progress bar on stderr when it is a terminal.
struct Export: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Export a topic's history as CSV or NDJSON.",
        discussion: "Example: switchboard export lab/temp --format csv > temp.csv"
    )

    enum Format: String, ExpressibleByArgument { case csv, ndjson }

    @Argument(help: "The topic.")
    var topic: String
    @Option(help: "csv or ndjson.")
    var format: Format = .ndjson
    @Option(help: "Only messages at or after this time (ms since epoch).")
    var from: Int64?
    @Option(help: "Only messages at or before this time (ms since epoch).")
    var to: Int64?
    @Option(help: "The hub's HTTP address.")
    var url: String = ProcessInfo.processInfo.environment["SWITCHBOARD_URL"] ?? "http://127.0.0.1:8080"

    func run() async throws {
        let base = self.url.trimmingCharacters(in: CharacterSet(charactersIn: "/"))
        let total = try await self.totalCount(base: base)
        let progress = ProgressBar(total: total, enabled: isatty(STDERR_FILENO) == 1)
        var after: Int64 = 0
        var exported = 0
        let pageSize = 10_000
        while true {
            var components = URLComponents(string: "\(base)/api/v1/topics/\(self.topic)/messages")!
            var query = [URLQueryItem(name: "after", value: String(after)), URLQueryItem(name: "limit", value: String(pageSize))]
            if let from { query.append(.init(name: "from", value: String(from))) }
            if let to { query.append(.init(name: "to", value: String(to))) }
            components.queryItems = query
            var request = URLRequest(url: components.url!)
            request.setValue(self.format == .csv ? "text/csv" : "application/x-ndjson", forHTTPHeaderField: "Accept")
            let (data, response) = try await HTTPClient.send(request)
            guard response.statusCode == 200 else {
                FileHandle.standardError.write(data)
                throw ExitCode(1)
            }
            var text = String(decoding: data, as: UTF8.self)
            if self.format == .csv && after > 0, let headerEnd = text.firstIndex(of: "\n") {
                text.removeSubrange(...headerEnd)  // one header for the whole export
            }
            FileHandle.standardOutput.write(Data(text.utf8))
            let lines = text.split(separator: "\n").count - (self.format == .csv && after == 0 ? 1 : 0)
            exported += max(0, lines)
            progress.update(exported)
            guard let next = response.value(forHTTPHeaderField: "X-Next-After"), let nextAfter = Int64(next) else { break }
            after = nextAfter
        }
        progress.finish(exported)
    }

    func totalCount(base: String) async throws -> Int? {
        guard let url = URL(string: "\(base)/api/v1/topics") else { return nil }
        let (data, _) = try await HTTPClient.send(URLRequest(url: url))
        guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
            let topics = object["topics"] as? [[String: Any]],
            let entry = topics.first(where: { $0["topic"] as? String == self.topic })
        else { return nil }
        return (entry["count"] as? NSNumber)?.intValue
    }
}

/// A one-line progress bar on stderr: `[#######-----]  7000/10000  70%`.
struct ProgressBar {
    let total: Int?
    let enabled: Bool

    func update(_ done: Int) {
        guard self.enabled else { return }
        var line = "\r"
        if let total, total > 0 {
            let fraction = min(1, Double(done) / Double(total))
            let width = 30
            let filled = Int(fraction * Double(width))
            line += "[" + String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled) + "]"
            line += " \(done)/\(total) \(Int(fraction * 100))%"
        } else {
            line += "\(done) messages"
        }
        FileHandle.standardError.write(Data(line.utf8))
    }

    func finish(_ done: Int) {
        guard self.enabled else { return }
        self.update(done)
        FileHandle.standardError.write(Data("\n".utf8))
    }
}
