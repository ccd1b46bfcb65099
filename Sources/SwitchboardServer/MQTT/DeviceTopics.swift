import SwitchboardCore

/// The topics through which MQTT clients reach devices:
/// `devices/<id>/cmd` (a command to device `<id>`) and `devices/<id>/cmd_result` (its answers).
enum DeviceTopics {
    static func command(_ device: String) -> String { "devices/\(device)/cmd" }

    /// The device a publish to `devices/<id>/cmd` is meant for.
    static func commandTarget(_ topic: Topic) -> String? { Self.device(in: topic, suffix: "cmd") }

    /// The device that answers on `devices/<id>/cmd_result`.
    static func resultSender(_ topic: Topic) -> String? { Self.device(in: topic, suffix: "cmd_result") }

    private static func device(in topic: Topic, suffix: String) -> String? {
        let segments = topic.name.split(separator: "/", omittingEmptySubsequences: false)
        guard segments.count == 3, segments[0] == "devices", segments[2] == suffix else { return nil }
        return String(segments[1])
    }
}
