import ArgumentParser
import Foundation

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// `switchboard cmd <device> <name> [params]`: sends a command and prints the command object
/// with its result; exits 0 only when the device answered with a result (or, with `--async`, when queued or sent).
struct Cmd: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Send a command to a device and print its outcome (the command as JSON).",
        discussion: """
            Waits for the device's answer unless --async. Exit status 0 when it succeeded, 1 otherwise.
            Examples:
              switchboard cmd esp32-1 toggle_relay
              switchboard cmd esp32-1 set_interval '{"seconds":5}' --timeout-ms 3000
              switchboard cmd esp32-1 toggle_relay --ttl-ms 600000 --async   # queue it until the device connects
            """
    )

    @Argument(help: "The device id.")
    var device: String
    @Argument(help: "The command's name.")
    var name: String
    @Argument(help: "The command's params as a JSON object.")
    var params: String?
    @Option(help: "How long to wait for the device's answer (ms; default 10000).")
    var timeoutMs: Int?
    @Option(help: "Queue it this long (ms) if the device is offline.")
    var ttlMs: Int?
    @Option(help: "Idempotency key: the same device and key run once.")
    var key: String?
    @Flag(help: "Do not wait: print the command as created (queued or sent).")
    var async = false
    @Option(help: "The hub's HTTP address.")
    var url: String = ProcessInfo.processInfo.environment["SWITCHBOARD_URL"] ?? "http://127.0.0.1:8080"

    func run() async throws {
        var body: [String: Any] = ["name": self.name]
        if let params {
            guard let object = try? JSONSerialization.jsonObject(with: Data(params.utf8)), object is [String: Any] else {
                throw ValidationError("params must be a JSON object, e.g. '{\"seconds\":5}'")
            }
            body["params"] = object
        }
        if let timeoutMs { body["timeout_ms"] = timeoutMs }
        if let ttlMs { body["ttl_ms"] = ttlMs }
        if let key { body["key"] = key }
        let base = self.url.trimmingCharacters(in: CharacterSet(charactersIn: "/"))
        let device =
            self.device.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(CharacterSet(charactersIn: "/"))) ?? self.device
        guard let target = URL(string: "\(base)/api/v1/devices/\(device)/commands" + (self.async ? "?async=true" : "")) else {
            throw ValidationError("bad --url \(self.url)")
        }
        var request = URLRequest(url: target)
        request.httpMethod = "POST"
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        request.httpBody = try JSONSerialization.data(withJSONObject: body)
        // The hub answers when the device does; give it the command's timeout and then some.
        request.timeoutInterval = Double((self.timeoutMs ?? 10_000) + (self.ttlMs ?? 0)) / 1000 + 30
        let (data, response) = try await HTTPClient.send(request)
        print(String(decoding: data, as: UTF8.self))
        let state = (try? JSONSerialization.jsonObject(with: data) as? [String: Any])?["state"] as? String
        let fine = self.async ? response.statusCode == 202 : state == "succeeded"
        if !fine { throw ExitCode(1) }
    }
}
