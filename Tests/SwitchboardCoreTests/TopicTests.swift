import SwitchboardCore
import Testing

/// `Topic` and `TopicPattern`, per SPEC "Concepts": segments `[A-Za-z0-9_.~-]+`,
/// at most 16 segments and 255 bytes, `+` one segment, trailing `#` zero or more,
/// `$` topics only for the hub, and the MQTT rule for wildcard-first patterns.
@Suite("Topics and patterns")
struct TopicTests {
    static let sixteen = Array(repeating: "a", count: 16).joined(separator: "/")
    static let seventeen = Array(repeating: "a", count: 17).joined(separator: "/")
    static let bytes255 = String(repeating: "x", count: 255)
    static let bytes256 = String(repeating: "x", count: 256)
    /// 16 segments, 255 bytes: both limits at once.
    static let bothLimits = (Array(repeating: String(repeating: "y", count: 15), count: 15) + [String(repeating: "z", count: 15)])
        .joined(separator: "/")

    static let validTopics: [String] = [
        "a", "lab", "lab/temp", "lab/esp32-1", "a/b/c", "A/Z/z/0/9",
        "_", ".", "..", "~", "-", "a.b~c_d-e", "Lab/Temp_1.0~x-y",
        "race/results", "0", "123/456",
        sixteen, bytes255, bothLimits,
    ]

    static let invalidTopics: [(String, String)] = [
        ("", "empty"),
        ("/", "only a slash"),
        ("/a", "leading slash"),
        ("a/", "trailing slash"),
        ("a//b", "double slash"),
        ("//", "two slashes"),
        ("a b", "space"),
        (" a", "leading space"),
        ("a\t", "tab"),
        ("a\nb", "newline"),
        ("a\u{0}b", "NUL"),
        ("a:b", "colon"),
        ("a*b", "asterisk"),
        ("a%2Fb", "percent"),
        ("a\\b", "backslash"),
        ("a?b", "question mark"),
        ("a\"b", "quote"),
        ("lab/tëmp", "non-ASCII letter"),
        ("é", "non-ASCII only"),
        ("lab/😀", "emoji"),
        ("lab/+", "wildcard + in a topic"),
        ("lab/#", "wildcard # in a topic"),
        ("+", "lone +"),
        ("#", "lone #"),
        ("a+b", "+ inside a segment"),
        ("a#", "# inside a segment"),
        ("$sys/sources", "system topic without allowSystem"),
        ("$x", "system topic without allowSystem"),
        ("a/$b", "$ not at the start"),
        ("a$", "$ inside a segment"),
        (seventeen, "17 segments"),
        (bytes256, "256 bytes"),
        (bothLimits + "/a", "17 segments and 257 bytes"),
        (String(repeating: "é", count: 128), "256 bytes of non-ASCII"),
    ]

    @Test("valid topics are accepted", arguments: validTopics)
    func validTopic(_ name: String) throws {
        let topic = try Topic(validating: name)
        #expect(topic.name == name)
        #expect(topic.description == name)
        #expect(!topic.isSystem)
        // A valid topic is also valid with allowSystem, and a valid exact pattern.
        #expect(try Topic(validating: name, allowSystem: true).name == name)
        let pattern = try TopicPattern(validating: name)
        #expect(pattern.isExact)
        #expect(pattern.matches(topic))
    }

    @Test("invalid topics are rejected with bad_topic", arguments: invalidTopics)
    func invalidTopic(_ name: String, _ why: String) {
        expectHubError("bad_topic", "\(why): \(name.debugDescription)") { () throws(HubError) in
            _ = try Topic(validating: name)
        }
    }

    @Test("limits: 16 segments and 255 bytes")
    func limits() throws {
        #expect(Topic.maxSegments == 16)
        #expect(Topic.maxBytes == 255)
        #expect(TopicTests.bothLimits.utf8.count == 255)
        #expect(TopicTests.bothLimits.split(separator: "/").count == 16)
        _ = try Topic(validating: TopicTests.bothLimits)
        _ = try TopicPattern(validating: TopicTests.bothLimits)
        // The same limits hold for patterns, wildcards included.
        _ = try TopicPattern(validating: Array(repeating: "+", count: 16).joined(separator: "/"))
        _ = try TopicPattern(validating: Array(repeating: "+", count: 15).joined(separator: "/") + "/#")
        expectHubError("bad_topic") { () throws(HubError) in
            _ = try TopicPattern(validating: Array(repeating: "+", count: 17).joined(separator: "/"))
        }
        expectHubError("bad_topic") { () throws(HubError) in
            _ = try TopicPattern(validating: Array(repeating: "+", count: 16).joined(separator: "/") + "/#")
        }
        expectHubError("bad_topic") { () throws(HubError) in
            _ = try TopicPattern(validating: TopicTests.bytes256)
        }
        expectHubError("bad_topic") { () throws(HubError) in
            _ = try Topic(validating: "$" + TopicTests.bytes255, allowSystem: true)
        }
    }

    static let systemTopics = ["$sys/sources", "$sys/devices", "$sys", "$SYS/x", "$sys/a.b/c-d"]
    static let badSystemTopics = ["$sys/$x", "a/$sys", "$$sys", "$sys/", "$/", "$sys//x", "$sys/+", "$sys/#", "$s$ys", "/$sys"]

    @Test("$ topics only with allowSystem", arguments: systemTopics)
    func systemTopic(_ name: String) throws {
        let topic = try Topic(validating: name, allowSystem: true)
        #expect(topic.isSystem)
        #expect(topic.name == name)
        expectHubError("bad_topic", "\(name) without allowSystem") { () throws(HubError) in
            _ = try Topic(validating: name)
        }
        expectHubError("bad_topic", "\(name) without allowSystem") { () throws(HubError) in
            _ = try Topic(validating: name, allowSystem: false)
        }
    }

    @Test("$ only as the first character of a topic", arguments: badSystemTopics)
    func badSystemTopic(_ name: String) {
        expectHubError("bad_topic", "\(name.debugDescription) with allowSystem") { () throws(HubError) in
            _ = try Topic(validating: name, allowSystem: true)
        }
    }

    static let validPatterns: [(String, Bool)] = [
        ("#", false), ("+", false), ("lab/#", false), ("lab/+", false), ("+/+", false), ("+/temp", false),
        ("lab/+/x/#", false), ("+/#", false), ("$sys/#", false), ("$sys/+", false), ("$sys", true),
        ("$sys/sources", true), ("lab/temp", true), ("a", true), ("lab/+/+", false),
    ]

    @Test("valid patterns are accepted", arguments: validPatterns)
    func validPattern(_ text: String, _ exact: Bool) throws {
        let pattern = try TopicPattern(validating: text)
        #expect(pattern.text == text)
        #expect(pattern.description == text)
        #expect(pattern.isExact == exact)
    }

    static let invalidPatterns: [(String, String)] = [
        ("", "empty"),
        ("/", "only a slash"),
        ("/#", "leading slash"),
        ("#/", "trailing slash after #"),
        ("+/", "trailing slash after +"),
        ("lab/", "trailing slash"),
        ("lab//#", "double slash"),
        ("lab/#/x", "# not last"),
        ("#/x", "# first and not last"),
        ("lab/#/", "# then trailing slash"),
        ("lab/##", "## segment"),
        ("lab/#x", "# then text"),
        ("lab/x#", "text then #"),
        ("lab/+x", "+ then text"),
        ("lab/x+", "text then +"),
        ("lab/++", "++ segment"),
        ("lab/+#", "+#"),
        ("lab/#+", "#+"),
        ("lab/a+b", "+ inside"),
        ("$+", "$ then +"),
        ("$#", "$ then #"),
        ("+$", "+ then $"),
        ("lab/$x", "$ not first"),
        ("+/$sys", "$ in a later segment"),
        ("lab temp/#", "space"),
        ("lab/tëmp/#", "non-ASCII"),
        ("lab/*", "* is not a wildcard"),
        ("lab/>", "> is not a wildcard"),
        (seventeen, "17 segments"),
        (bytes256, "256 bytes"),
    ]

    @Test("invalid patterns are rejected with bad_topic", arguments: invalidPatterns)
    func invalidPattern(_ text: String, _ why: String) {
        expectHubError("bad_topic", "\(why): \(text.debugDescription)") { () throws(HubError) in
            _ = try TopicPattern(validating: text)
        }
    }

    static let matchTable: [(pattern: String, topic: String, matches: Bool)] = [
        // exact
        ("lab/temp", "lab/temp", true),
        ("lab/temp", "lab/temp2", false),
        ("lab/temp", "lab", false),
        ("lab", "lab/temp", false),
        ("Lab/temp", "lab/temp", false),
        // + is exactly one segment
        ("+", "lab", true),
        ("+", "lab/temp", false),
        ("lab/+", "lab/temp", true),
        ("lab/+", "lab", false),
        ("lab/+", "lab/temp/x", false),
        ("+/temp", "lab/temp", true),
        ("+/temp", "lab/hum", false),
        ("+/+", "a/b", true),
        ("+/+", "a", false),
        ("+/+", "a/b/c", false),
        ("lab/+/+", "lab/a/b", true),
        // trailing # is zero or more segments
        ("#", "lab", true),
        ("#", "a/b/c/d", true),
        ("lab/#", "lab", true),
        ("lab/#", "lab/temp", true),
        ("lab/#", "lab/a/b/c", true),
        ("lab/#", "labx", false),
        ("lab/#", "labx/temp", false),
        ("lab/#", "other/lab", false),
        ("lab/temp/#", "lab", false),
        ("lab/temp/#", "lab/temp", true),
        ("+/#", "lab", true),
        ("+/#", "lab/x/y", true),
        ("lab/+/#", "lab", false),
        ("lab/+/#", "lab/a", true),
        ("lab/+/#", "lab/a/b/c", true),
        ("lab/+/x/#", "lab/1/x", true),
        ("lab/+/x/#", "lab/1/x/2/3", true),
        ("lab/+/x/#", "lab/1/y", false),
        // MQTT: wildcard-first patterns do not match $ topics
        ("#", "$sys/sources", false),
        ("#", "$sys", false),
        ("+", "$sys", false),
        ("+/sources", "$sys/sources", false),
        ("+/#", "$sys/sources", false),
        ("lab/#", "$sys/x", false),
        ("$sys/#", "$sys/sources", true),
        ("$sys/#", "$sys", true),
        ("$sys/+", "$sys/sources", true),
        ("$sys/+", "$sys", false),
        ("$sys/sources", "$sys/sources", true),
        ("$sys/sources", "$sys/devices", false),
        ("$sys/#", "sys/sources", false),
    ]

    @Test("matches(_:)", arguments: matchTable)
    func matching(_ row: (pattern: String, topic: String, matches: Bool)) throws {
        let pattern = try TopicPattern(validating: row.pattern)
        let topic = try Topic(validating: row.topic, allowSystem: true)
        #expect(pattern.matches(topic) == row.matches, "\(row.pattern) vs \(row.topic)")
    }

    @Test("bad_topic errors carry a message")
    func errorShape() {
        do throws(HubError) {
            _ = try Topic(validating: "a//b")
            Issue.record("no error")
        } catch {
            #expect(error.code == "bad_topic")
            #expect(!error.message.isEmpty)
            #expect(error.httpStatus == 400)
            #expect(error.json.serialized.hasPrefix("{\"code\":\"bad_topic\",\"message\":"))
        }
    }
}
