/// A validated topic name: `/`-separated segments of `[A-Za-z0-9_.~-]+`,
/// at most 16 segments and 255 bytes.
///
/// Topics that begin with `$` (for example `$sys/sources`) belong to the hub;
/// ``Topic/init(validating:allowSystem:)`` accepts them only when asked to.
public struct Topic: Hashable, Sendable, CustomStringConvertible {
    /// The topic as text.
    public let name: String

    /// The maximum number of segments in a topic or pattern.
    public static let maxSegments = 16
    /// The maximum length of a topic or pattern in UTF-8 bytes.
    public static let maxBytes = 255

    /// Validates `name` as a topic.
    /// - Parameter allowSystem: accept a leading `$` on the first segment (hub-owned topics).
    public init(validating name: String, allowSystem: Bool = false) throws(HubError) {
        try Topic.validate(name, allowSystem: allowSystem, allowWildcards: false)
        self.name = name
    }

    /// Wraps a name known to be valid (read back from the store).
    public init(trusted name: String) {
        self.name = name
    }

    public var description: String { self.name }

    /// Whether this topic belongs to the hub (`$sys/…`).
    public var isSystem: Bool { self.name.utf8.first == UInt8(ascii: "$") }

    static func validate(_ name: String, allowSystem: Bool, allowWildcards: Bool) throws(HubError) {
        let what = allowWildcards ? "pattern" : "topic"
        let bytes = name.utf8
        guard !bytes.isEmpty else { throw .badTopic("\(what) is empty") }
        guard bytes.count <= maxBytes else { throw .badTopic("\(what) is \(bytes.count) bytes, the limit is \(maxBytes)") }
        var segments = 0
        var segmentStart = true
        var segmentLength = 0
        var wildcardInSegment: UInt8? = nil
        var index = 0
        for byte in bytes {
            defer { index += 1 }
            if byte == UInt8(ascii: "/") {
                guard segmentLength > 0 else { throw .badTopic("\(what) '\(name)' has an empty segment") }
                if segments == 0 && segmentLength == 1 && bytes.first == UInt8(ascii: "$") {
                    throw .badTopic("'$' must be followed by a name, as in '$sys': '\(name)'")
                }
                segments += 1
                segmentStart = true
                segmentLength = 0
                wildcardInSegment = nil
                continue
            }
            if wildcardInSegment != nil {
                throw .badTopic("wildcard '\(Character(Unicode.Scalar(wildcardInSegment!)))' must be a whole segment in '\(name)'")
            }
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "_"), UInt8(ascii: "."),
                UInt8(ascii: "~"), UInt8(ascii: "-"):
                break
            case UInt8(ascii: "$") where segments == 0 && segmentStart:
                guard allowSystem else { throw .badTopic("topics beginning with '$' belong to the hub: '\(name)'") }
            case UInt8(ascii: "+") where allowWildcards:
                guard segmentStart else { throw .badTopic("wildcard '+' must be a whole segment in '\(name)'") }
                wildcardInSegment = byte
            case UInt8(ascii: "#") where allowWildcards:
                guard segmentStart else { throw .badTopic("wildcard '#' must be a whole segment in '\(name)'") }
                guard index == bytes.count - 1 else { throw .badTopic("wildcard '#' must be the last segment in '\(name)'") }
                wildcardInSegment = byte
            case UInt8(ascii: "+"), UInt8(ascii: "#"):
                throw .badTopic("wildcards are not allowed in a topic: '\(name)'")
            default:
                throw .badTopic("\(what) '\(name)' contains a character outside [A-Za-z0-9_.~-]")
            }
            segmentStart = false
            segmentLength += 1
        }
        guard segmentLength > 0 else { throw .badTopic("\(what) '\(name)' has an empty segment") }
        if segments == 0 && segmentLength == 1 && bytes.first == UInt8(ascii: "$") {
            throw .badTopic("'$' must be followed by a name, as in '$sys': '\(name)'")
        }
        segments += 1
        guard segments <= maxSegments else { throw .badTopic("\(what) has \(segments) segments, the limit is \(maxSegments)") }
    }
}
