import Logging
import SwitchboardCore

/// The JSON shape of a topic in listings: `{"topic","last_seq","count","last_ts","rate","descriptor"}`.
enum TopicListing {
    static func json(_ info: Hub.TopicInfo) -> JSONValue {
        .object([
            ("topic", .string(info.topic.name)),
            ("last_seq", .int(info.lastSeq)),
            ("count", .int(info.count)),
            ("last_ts", info.lastTs.map { .int($0) } ?? .null),
            ("rate", .double(info.rate)),
            ("descriptor", info.descriptor.flatMap { try? JSONParser.parse($0) } ?? .null),
        ])
    }

    /// `{"topics":[…]}` for every topic (hub topics under `$` included only when asked).
    /// Every topic `visible` lets through (the caller's `sub:` scopes).
    static func all(_ hub: Hub, includeSystem: Bool = true, visible: (Topic) -> Bool = { _ in true }) -> JSONValue {
        .object([("topics", .array(hub.listTopics().filter { (includeSystem || !$0.topic.isSystem) && visible($0.topic) }.map(json)))])
    }
}
