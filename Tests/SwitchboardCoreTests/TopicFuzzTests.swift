import SwitchboardCore
import Testing

/// Seeded property tests for topics and patterns against a small, independent
/// reference implementation of the SPEC rules.
@Suite("Topic fuzz", .tags(.fuzz))
struct TopicFuzzTests {
    // MARK: Reference implementation, written from SPEC "Concepts"

    static let segmentCharacters = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.~-".utf8)

    /// Whether `text` is a valid topic (`wildcards == false`) or pattern (`wildcards == true`).
    static func referenceValid(_ text: String, allowSystem: Bool, wildcards: Bool) -> Bool {
        let bytes = Array(text.utf8)
        guard !bytes.isEmpty, bytes.count <= 255 else { return false }
        let segments = bytes.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false)
        guard segments.count <= 16 else { return false }
        for (index, segment) in segments.enumerated() {
            if wildcards && Array(segment) == [UInt8(ascii: "+")] { continue }
            if wildcards && Array(segment) == [UInt8(ascii: "#")] && index == segments.count - 1 { continue }
            var body = segment[...]
            if index == 0 && allowSystem && body.first == UInt8(ascii: "$") { body = body.dropFirst() }
            guard !body.isEmpty, body.allSatisfy({ segmentCharacters.contains($0) }) else { return false }
        }
        return true
    }

    /// `$` alone as the first segment (`$`, `$/a`): SPEC does not say; the Core accepts it. Not compared.
    static func isBareDollar(_ text: String) -> Bool {
        text == "$" || text.hasPrefix("$/")
    }

    static func referenceMatches(_ pattern: String, _ topic: String) -> Bool {
        let p = pattern.split(separator: "/", omittingEmptySubsequences: false)
        let t = topic.split(separator: "/", omittingEmptySubsequences: false)
        if topic.hasPrefix("$"), p[0] == "+" || p[0] == "#" { return false }
        func match(_ p: ArraySlice<Substring>, _ t: ArraySlice<Substring>) -> Bool {
            guard let head = p.first else { return t.isEmpty }
            if head == "#" { return true }
            guard let topicHead = t.first else { return false }
            return (head == "+" || head == topicHead) && match(p.dropFirst(), t.dropFirst())
        }
        return match(p[...], t[...])
    }

    // MARK: Properties

    static let pieces: [String] = [
        "a", "b", "Z", "0", "9", "_", ".", "~", "-", "/", "/", "/", "+", "#", "$", "lab", "temp", "$sys",
        " ", "é", "😀", "\u{0}", "\n", ":", "*", "%", "\\", "\"", "//", "/+/", "/#",
    ]

    static func randomText(_ rng: inout SeededRNG) -> String {
        var text = ""
        if rng.chance(0.02) {
            // Near the limits.
            let segment = String(repeating: "x", count: rng.int(1...20))
            let count = rng.int(12...20)
            text = Array(repeating: segment, count: count).joined(separator: "/")
            if text.utf8.count > 300 { text = String(text.prefix(rng.int(250...260))) }
            return text
        }
        for _ in 0..<rng.int(0...8) { text += rng.pick(pieces) }
        return text
    }

    @Test("validation agrees with the reference", arguments: 0..<4)
    func validation(shard: Int) {
        var rng = SeededRNG(seed: 0x70_71C0 + UInt64(shard))
        var failures = 0
        var valid = (topic: 0, system: 0, pattern: 0)
        for iteration in 0..<8_000 {
            let text = Self.randomText(&rng)
            if Self.isBareDollar(text) { continue }
            let checks: [(String, Result<Void, HubError>, Bool)] = [
                ("Topic", outcome { () throws(HubError) in _ = try Topic(validating: text) },
                 Self.referenceValid(text, allowSystem: false, wildcards: false)),
                ("Topic(allowSystem)", outcome { () throws(HubError) in _ = try Topic(validating: text, allowSystem: true) },
                 Self.referenceValid(text, allowSystem: true, wildcards: false)),
                ("TopicPattern", outcome { () throws(HubError) in _ = try TopicPattern(validating: text) },
                 Self.referenceValid(text, allowSystem: true, wildcards: true)),
            ]
            for (what, result, expected) in checks {
                if let error = result.failure, error.code != "bad_topic" {
                    failures += 1
                    Issue.record("shard \(shard) #\(iteration): \(what)(\(text.debugDescription)) threw \(error)")
                }
                if result.isSuccess != expected {
                    failures += 1
                    Issue.record("shard \(shard) #\(iteration): \(what)(\(text.debugDescription)) \(result.isSuccess ? "accepted" : "rejected"), reference says \(expected ? "valid" : "invalid")")
                }
            }
            if checks[0].1.isSuccess { valid.topic += 1 }
            if checks[1].1.isSuccess { valid.system += 1 }
            if checks[2].1.isSuccess { valid.pattern += 1 }
            if failures > 20 { break }
        }
        #expect(valid.topic > 150 && valid.system > valid.topic && valid.pattern > valid.system, "coverage: \(valid)")
    }

    @Test("matching agrees with the reference", arguments: 0..<4)
    func matching(shard: Int) throws {
        var rng = SeededRNG(seed: 0x3A7C_4000 + UInt64(shard))
        var failures = 0
        var matched = 0
        for iteration in 0..<6_000 {
            var topicSegments = (0..<rng.int(1...4)).map { _ in rng.pick(["a", "b", "c"]) }
            if rng.chance(0.15) { topicSegments[0] = "$sys" }
            let topicText = topicSegments.joined(separator: "/")
            var patternSegments = (0..<rng.int(1...4)).map { _ in rng.pick(["a", "b", "c", "+"]) }
            if rng.chance(0.1) { patternSegments[0] = "$sys" }
            if rng.chance(0.4) { patternSegments.append("#") }
            if rng.chance(0.05) { patternSegments = ["#"] }
            let patternText = patternSegments.joined(separator: "/")
            let topic = try Topic(validating: topicText, allowSystem: true)
            let pattern = try TopicPattern(validating: patternText)
            let expected = Self.referenceMatches(patternText, topicText)
            if expected { matched += 1 }
            if pattern.matches(topic) != expected {
                failures += 1
                Issue.record("shard \(shard) #\(iteration): \(patternText) vs \(topicText): \(!expected), expected \(expected)")
                if failures > 20 { break }
            }
        }
        #expect(matched > 600, "only \(matched) matches")
    }

    @Test("a pattern derived from a topic matches it", arguments: 0..<2)
    func derivedPatterns(shard: Int) throws {
        var rng = SeededRNG(seed: 0xDE71_0000 + UInt64(shard))
        for _ in 0..<2_500 {
            let system = rng.chance(0.2)
            var segments = (0..<rng.int(1...16)).map { _ in
                String((0..<rng.int(1...6)).map { _ in Character(Unicode.Scalar(rng.pick(Array(Self.segmentCharacters)))) })
            }
            if system { segments[0] = "$" + segments[0] }
            let topic = try Topic(validating: segments.joined(separator: "/"), allowSystem: system)
            // Replace some segments with '+' (not the first of a $ topic), maybe cut the tail with '#'.
            var pattern = segments
            for index in pattern.indices where rng.chance(0.3) && !(system && index == 0) { pattern[index] = "+" }
            if rng.chance(0.5) {
                let keep = rng.int((system ? 1 : 0)...min(pattern.count, Topic.maxSegments - 1))
                pattern = Array(pattern[..<keep]) + ["#"]
            }
            let text = pattern.joined(separator: "/")
            let compiled = try TopicPattern(validating: text)
            if !compiled.matches(topic) { Issue.record("\(text) should match \(topic)") }
            // The exact topic as a pattern matches it and nothing longer.
            let exact = try TopicPattern(validating: topic.name)
            if !exact.matches(topic) { Issue.record("\(topic) as a pattern should match itself") }
            if topic.name.utf8.count < 250 && segments.count < 16 {
                if exact.matches(try Topic(validating: topic.name + "/x", allowSystem: true)) { Issue.record("\(topic) matches \(topic)/x") }
            }
        }
    }
}
