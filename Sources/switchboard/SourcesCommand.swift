import ArgumentParser
import Foundation

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// `switchboard sources list|get|create|start|stop|delete`: managed sources over a running hub's REST API.
struct SourcesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sources",
        abstract: "List, create, start, stop and delete the hub's managed sources.",
        discussion: """
            Examples:
              switchboard sources create lab-temp sensor --topic lab/temp --param rate_hz=2 --param unit=°C
              switchboard sources stop lab-temp
              switchboard sources list
            """,
        subcommands: [List.self, Get.self, Create.self, Start.self, Stop.self, Delete.self]
    )

    struct Connection: ParsableArguments {
        @Option(help: "The hub's HTTP address.")
        var url: String = ProcessInfo.processInfo.environment["SWITCHBOARD_URL"] ?? "http://127.0.0.1:8080"

        /// Sends a request to `/api/v1/sources<path>`, prints the answer's body, and fails on an error status.
        func send(_ method: String, _ path: String = "", body: Data? = nil, print printBody: Bool = true) async throws -> Data {
            let base = self.url.trimmingCharacters(in: CharacterSet(charactersIn: "/"))
            guard let target = URL(string: base + "/api/v1/sources" + path) else { throw ValidationError("bad --url \(self.url)") }
            var request = URLRequest(url: target)
            request.httpMethod = method
            if let body {
                request.httpBody = body
                request.setValue("application/json", forHTTPHeaderField: "Content-Type")
            }
            let (data, response) = try await HTTPClient.send(request)
            if printBody || response.statusCode >= 300 { print(String(decoding: data, as: UTF8.self)) }
            if response.statusCode >= 300 { throw ExitCode(1) }
            return data
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "One line per source: name, kind, topic, state, error.")
        @OptionGroup var connection: Connection
        @Flag(help: "Print the hub's JSON answer instead of a table.")
        var json = false

        func run() async throws {
            let data = try await self.connection.send("GET", print: self.json)
            guard !self.json else { return }
            let object = try JSONSerialization.jsonObject(with: data) as? [String: Any]
            let sources = object?["sources"] as? [[String: Any]] ?? []
            let rows = sources.map { source in
                ["name", "kind", "topic", "state"].map { source[$0] as? String ?? "" } + [source["error"] as? String ?? ""]
            }
            let header = ["NAME", "KIND", "TOPIC", "STATE", "ERROR"]
            let widths = (0..<4).map { column in ([header] + rows).map { $0[column].count }.max() ?? 0 }
            for row in [header] + rows {
                let padded = (0..<4).map { row[$0].padding(toLength: widths[$0], withPad: " ", startingAt: 0) }
                print((padded + [row[4]]).joined(separator: "  ").trimmingCharacters(in: .whitespaces))
            }
        }
    }

    struct Get: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print one source as JSON.")
        @Argument(help: "The source's name.") var name: String
        @OptionGroup var connection: Connection

        func run() async throws { _ = try await self.connection.send("GET", "/\(self.name)") }
    }

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a source (and start it, unless --stopped).",
            discussion:
                "Kinds: clock, sensor, accel, sine, exec, tcp-client, replay. A --param value is read as JSON when it is JSON, else as a string."
        )
        @Argument(help: "The source's name (A-Z a-z 0-9 _ . ~ -).") var name: String
        @Argument(help: "The kind: clock, sensor, accel, sine, exec, tcp-client or replay.") var kind: String
        @Option(help: "The topic it publishes to. Default sources/<name>.") var topic: String?
        @Option(name: .customLong("param"), help: "A param as key=value (repeatable), e.g. --param rate_hz=2.")
        var params: [String] = []
        @Option(name: .customLong("params"), help: "All params as one JSON object.") var paramsJSON: String?
        @Flag(help: "Create it stopped.") var stopped = false
        @OptionGroup var connection: Connection

        func run() async throws {
            var params: [String: Any] = [:]
            if let paramsJSON {
                guard let object = try? JSONSerialization.jsonObject(with: Data(paramsJSON.utf8)) as? [String: Any] else {
                    throw ValidationError("--params must be a JSON object, e.g. '{\"rate_hz\":2}'")
                }
                params = object
            }
            for pair in self.params {
                guard let equals = pair.firstIndex(of: "="), equals != pair.startIndex else {
                    throw ValidationError("--param takes key=value, not '\(pair)'")
                }
                let value = String(pair[pair.index(after: equals)...])
                params[String(pair[..<equals])] =
                    (try? JSONSerialization.jsonObject(with: Data(value.utf8), options: .fragmentsAllowed)) ?? value
            }
            var body: [String: Any] = ["name": self.name, "kind": self.kind, "params": params, "state": self.stopped ? "stopped" : "running"]
            if let topic { body["topic"] = topic }
            _ = try await self.connection.send("POST", body: try JSONSerialization.data(withJSONObject: body))
        }
    }

    struct Start: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Start a source.")
        @Argument(help: "The source's name.") var name: String
        @OptionGroup var connection: Connection

        func run() async throws { _ = try await self.connection.send("POST", "/\(self.name)/start") }
    }

    struct Stop: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Stop a source.")
        @Argument(help: "The source's name.") var name: String
        @OptionGroup var connection: Connection

        func run() async throws { _ = try await self.connection.send("POST", "/\(self.name)/stop") }
    }

    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Stop and delete a source (its topic's messages stay).")
        @Argument(help: "The source's name.") var name: String
        @OptionGroup var connection: Connection

        func run() async throws { _ = try await self.connection.send("DELETE", "/\(self.name)") }
    }
}
