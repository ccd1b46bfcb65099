import ArgumentParser
import Foundation

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// `switchboard devices`: the hub's known devices, online first, as a table (or `--json`).
struct Devices: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List known devices: online/offline, transport, address, last seen, declared commands.",
        discussion: "Example: switchboard devices --json"
    )

    @Flag(help: "Print the hub's JSON answer as it is.")
    var json = false
    @Option(help: "The hub's HTTP address.")
    var url: String = ProcessInfo.processInfo.environment["SWITCHBOARD_URL"] ?? "http://127.0.0.1:8080"

    func run() async throws {
        let base = self.url.trimmingCharacters(in: CharacterSet(charactersIn: "/"))
        guard let target = URL(string: base + "/api/v1/devices") else { throw ValidationError("bad --url \(self.url)") }
        let (data, response) = try await HTTPClient.send(URLRequest(url: target))
        guard response.statusCode == 200, !self.json else {
            print(String(decoding: data, as: UTF8.self))
            if response.statusCode >= 300 { throw ExitCode(1) }
            return
        }
        let object = try JSONSerialization.jsonObject(with: data) as? [String: Any]
        let devices = (object?["devices"] as? [[String: Any]] ?? []).sorted { a, b in
            let (onlineA, onlineB) = (a["online"] as? Bool ?? false, b["online"] as? Bool ?? false)
            return onlineA != onlineB ? onlineA : (a["id"] as? String ?? "") < (b["id"] as? String ?? "")
        }
        guard !devices.isEmpty else {
            print("no devices yet: a device appears once it connects and says hello")
            return
        }
        var rows = [["DEVICE", "STATE", "TRANSPORT", "ADDRESS", "LAST SEEN", "COMMANDS"]]
        for device in devices {
            let info = device["info"] as? [String: Any] ?? [:]
            rows.append([
                device["id"] as? String ?? "?",
                device["online"] as? Bool == true ? "online" : "offline",
                device["transport"] as? String ?? "",
                device["address"] as? String ?? "",
                Self.age(device["last_seen"] as? NSNumber),
                (info["commands"] as? [String])?.joined(separator: ",") ?? "",
            ])
        }
        let widths = rows[0].indices.map { column in rows.map { $0[column].count }.max() ?? 0 }
        for row in rows {
            print(
                zip(row, widths).map { $0.padding(toLength: $1, withPad: " ", startingAt: 0) }.joined(separator: "  ").trimmingCharacters(
                    in: .whitespaces
                )
            )
        }
    }

    /// `3s ago`, `5m ago`, `2h ago`, `4d ago`.
    static func age(_ epochMs: NSNumber?) -> String {
        guard let epochMs else { return "" }
        let seconds = max(0, Int(Date().timeIntervalSince1970) - epochMs.intValue / 1000)
        switch seconds {
        case ..<60: return "\(seconds)s ago"
        case ..<3600: return "\(seconds / 60)m ago"
        case ..<86400: return "\(seconds / 3600)h ago"
        default: return "\(seconds / 86400)d ago"
        }
    }
}
