import Foundation
import SwitchboardControl
import SwitchboardCore

extension SwitchboardConfiguration {
    /// Reads the config file's `sources:` list; each entry is a source as `POST /api/v1/sources` takes it:
    ///
    /// ```yaml
    /// sources:
    ///   - name: lab-temp
    ///     kind: sensor
    ///     topic: lab/temp
    ///     params: { rate_hz: 2, unit: "°C", min: 15, max: 30 }
    ///     state: running        # or stopped; only used when the source is created
    /// ```
    static func sourceDefinitions(_ value: Any, file: String) throws -> [SourceDefinition] {
        guard let list = value as? [Any] else { throw ConfigurationError("\(file): sources must be a list") }
        return try list.enumerated().map { index, item in
            guard let entry = item as? [String: Any] else { throw ConfigurationError("\(file): sources[\(index)] must be a mapping") }
            let known: Set<String> = ["name", "kind", "topic", "params", "state"]
            if let unknown = entry.keys.sorted().first(where: { !known.contains($0) }) {
                throw ConfigurationError("\(file): sources[\(index)]: unknown field '\(unknown)'; fields are name, kind, topic, params, state")
            }
            guard let name = entry["name"] as? String, !name.isEmpty else { throw ConfigurationError("\(file): sources[\(index)] needs a name") }
            guard let kind = entry["kind"] as? String, !kind.isEmpty else { throw ConfigurationError("\(file): source '\(name)' needs a kind") }
            let state = entry["state"].map { "\($0)" } ?? "running"
            guard state == "running" || state == "stopped" else {
                throw ConfigurationError("\(file): source '\(name)': state must be running or stopped, not '\(state)'")
            }
            return SourceDefinition(
                name: name,
                kind: kind,
                topic: entry["topic"].map { "\($0)" },
                params: try entry["params"].map { try Self.json(fromYAML: $0, at: "source '\(name)' params") } ?? .object([]),
                running: state == "running"
            )
        }
    }

    /// A YAML value (as Yams reads it) as JSON.
    static func json(fromYAML value: Any, at path: String) throws -> JSONValue {
        switch value {
        case is NSNull: return .null
        case let flag as Bool: return .bool(flag)
        case let number as Int: return .int(number)
        case let number as Double: return .double(number)
        case let text as String: return .string(text)
        case let list as [Any]: return .array(try list.map { try Self.json(fromYAML: $0, at: path) })
        case let map as [String: Any]:
            return .object(try map.keys.sorted().map { ($0, try Self.json(fromYAML: map[$0]!, at: "\(path).\($0)")) })
        default: throw ConfigurationError("\(path): cannot read \(type(of: value)) as JSON")
        }
    }

    static func flag(_ value: String, _ key: String) throws -> Bool {
        switch value.lowercased() {
        case "true", "yes", "on", "1": return true
        case "false", "no", "off", "0": return false
        default: throw ConfigurationError("\(key) must be true or false, not '\(value)'")
        }
    }
}
