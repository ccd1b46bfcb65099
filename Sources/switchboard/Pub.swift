import ArgumentParser
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// `switchboard pub <topic> '<json>'`, or NDJSON on stdin: publishes over HTTP and prints the seqs.
struct Pub: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Publish a message (or NDJSON lines from stdin) and print its seq after commit.",
        discussion: "Examples:\n  switchboard pub lab/temp '{\"v\":21.5}'\n  printf '{\"v\":1}\\n{\"v\":2}\\n' | switchboard pub lab/temp"
    )

    @Argument(help: "The topic, e.g. lab/temp.")
    var topic: String
    @Argument(help: "The message data as JSON. Without it, NDJSON is read from stdin (one message per line).")
    var json: String?
    @Option(help: "The hub's HTTP address.")
    var url: String = ProcessInfo.processInfo.environment["SWITCHBOARD_URL"] ?? "http://127.0.0.1:8080"
    @Option(help: "Publisher id (becomes `from`).")
    var from: String?
    @Option(help: "Idempotency key: publishing the same key again stores nothing new.")
    var key: String?

    func run() async throws {
        let body: Data
        let contentType: String
        if let json {
            body = Data(json.utf8)
            contentType = "application/json"
        } else {
            body = FileHandle.standardInput.readDataToEndOfFile()
            contentType = "application/x-ndjson"
        }
        var query: [URLQueryItem] = []
        if let from { query.append(.init(name: "from", value: from)) }
        if let key { query.append(.init(name: "key", value: key)) }
        let path = "/api/v1/publish/" + self.topic.replacingOccurrences(of: "#", with: "%23")
        var components = URLComponents(string: self.url.trimmingCharacters(in: CharacterSet(charactersIn: "/")) + path)
        if !query.isEmpty { components?.queryItems = query }
        guard let target = components?.url else { throw ValidationError("bad --url \(self.url)") }
        var request = URLRequest(url: target)
        request.httpMethod = "POST"
        request.setValue(contentType, forHTTPHeaderField: "Content-Type")
        request.httpBody = body
        let (data, response) = try await HTTPClient.send(request)
        print(String(decoding: data, as: UTF8.self))
        if response.statusCode >= 300 { throw ExitCode(1) }
    }
}

/// Small helpers over URLSession for the CLI.
enum HTTPClient {
    /// The token every CLI client sends when the hub needs credentials.
    static var token: String? { ProcessInfo.processInfo.environment["SWITCHBOARD_TOKEN"].flatMap { $0.isEmpty ? nil : $0 } }

    static func send(_ request: URLRequest) async throws -> (Data, HTTPURLResponse) {
        var request = request
        if let token = Self.token, request.value(forHTTPHeaderField: "Authorization") == nil {
            request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization")
        }
        let (data, response): (Data, URLResponse)
        do {
            (data, response) = try await URLSession.shared.data(for: request)
        } catch {
            throw ValidationError("cannot reach the hub at \(request.url?.absoluteString ?? "?"): \(error.localizedDescription)")
        }
        guard let http = response as? HTTPURLResponse else { throw ValidationError("not an HTTP response") }
        return (data, http)
    }
}
