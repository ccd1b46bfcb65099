import Foundation
import NIOCore
import SwitchboardCore
import Testing

/// Seeded property tests for `JSONParser`: random valid documents, mutations of
/// them and random bytes. Reproducible: every shard has a fixed seed, and each
/// failure names the shard and the input.
///
/// Properties checked (for every input unless noted):
/// - nothing crashes, and every error is `bad_json`;
/// - `parse` and `validate` agree (both succeed or both throw);
/// - `parseObject` (on every input starting with `{`, and every 8th other one) succeeds exactly when
///   `parse` does and the value is an object, its parsed fields are the non-raw members, and every
///   raw slice is a byte range of the input that parses to the member's value;
/// - a parsed value re-serializes to JSON that parses back equal and serializes identically;
/// - generated valid documents are accepted and parse to the generated value;
/// - for valid UTF-8, Foundation's `JSONSerialization` (with `.fragmentsAllowed`) agrees on
///   validity, except where the two are known to differ on purpose (see ``oracleDisagreementIsTolerated(_:)``);
/// - (every 4th input of at most 48 bytes) `Topic` and `TopicPattern` validation agree with the
///   reference in `TopicFuzzTests` and throw only `bad_topic`.
@Suite("JSON parser fuzz", .tags(.fuzz))
struct JSONFuzzTests {
    /// Inputs per shard; the shards run in parallel. 4 × 25,000 = 100,000 inputs by default (a few
    /// seconds in debug); `SWITCHBOARD_FUZZ_SCALE=40 swift test --filter JSONFuzzTests` runs 4 million
    /// (`-c release` makes that much faster).
    static let iterationsPerShard = 25_000 * scale
    static let shards = 0..<4
    static let scale = max(1, Int(ProcessInfo.processInfo.environment["SWITCHBOARD_FUZZ_SCALE"] ?? "") ?? 1)

    @Test("random and mutated inputs", arguments: shards)
    func fuzz(shard: Int) {
        let checker = Self.run(shard: shard, iterations: Self.iterationsPerShard)
        #expect(checker.failures == 0, "shard \(shard): \(checker.failures) failures (first ones recorded above)")
        // The fuzzer must actually reach both outcomes, and the oracle must actually run.
        #expect(checker.accepted > checker.iteration / 5, "only \(checker.accepted) inputs accepted")
        #expect(checker.rejected > checker.iteration / 5, "only \(checker.rejected) inputs rejected")
        #expect(checker.oracleCompared > checker.iteration / 2, "oracle compared only \(checker.oracleCompared)")
    }

    static func run(shard: Int, iterations: Int) -> Checker {
        var rng = SeededRNG(seed: 0x5EED_0000 + UInt64(shard))
        var checker = Checker(shard: shard)
        var corpus = Self.seedCorpus.map { Array($0.utf8) }
        for iteration in 0..<iterations {
            checker.iteration = iteration
            switch rng.int(0..<10) {
            case 0...2:
                // A generated valid document: must be accepted and parse to what was generated.
                var generator = Generator(rng: rng)
                let (text, expected) = generator.document()
                rng = generator.rng
                let bytes = Array(text.utf8)
                checker.check(bytes, expected: expected)
                if corpus.count < 2_000 { corpus.append(bytes) } else { corpus[rng.int(0..<corpus.count)] = bytes }
            case 3...7:
                // A mutation of a corpus entry.
                var bytes = rng.pick(corpus)
                let rounds = rng.int(1...4)
                for _ in 0..<rounds { Mutator.mutate(&bytes, corpus: corpus, rng: &rng) }
                checker.check(bytes, expected: nil)
            case 8:
                // Random tokens of JSON's alphabet.
                var bytes: [UInt8] = []
                for _ in 0..<rng.int(0...24) { bytes += rng.pick(Mutator.tokens) }
                checker.check(bytes, expected: nil)
            default:
                // Random bytes.
                let bytes = (0..<rng.int(0...16)).map { _ in UInt8.random(in: 0...255, using: &rng) }
                checker.check(bytes, expected: nil)
            }
            if checker.failures >= 20 { break }
        }
        checker.iteration = iterations
        return checker
    }

    @Test("the oracle agrees on the hand-written tables")
    func oracleOnTables() {
        var checker = Checker(shard: -1)
        for (text, _) in JSONParserTests.validDocuments { checker.check(Array(text.utf8), expected: nil) }
        for (text, _) in JSONParserTests.strings { checker.check(Array(text.utf8), expected: nil) }
        for (text, _) in JSONParserTests.invalidDocuments { checker.check(Array(text.utf8), expected: nil) }
        for (bytes, _) in JSONParserTests.invalidUTF8Inputs { checker.check(bytes, expected: nil) }
        #expect(checker.failures == 0)
    }

    static let seedCorpus: [String] = [
        "null", "true", "false", "0", "-0", "21.50", "-1.5e+10", "1E-7", "123456789012345678901234567890",
        "\"\"", "\"abc\"", "\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"", "\"\\u00e9\\uD83D\\uDE00\"", "\"é😀\"",
        "[]", "{}", "[1,2,3]", "[[[]]]", "{\"a\":{\"b\":[null,true,false]}}",
        "{\"topic\":\"lab/temp\",\"data\":{\"v\":21.5},\"id\":1}",
        "{\"op\":\"pub\",\"id\":3,\"topic\":\"lab/temp\",\"data\": 21.50 ,\"key\":\"esp32-1:000123\"}",
        "{\"op\":\"sub\",\"id\":1,\"topics\":[\"lab/#\"],\"since\":{\"lab/temp\":40},\"last\":0}",
        " { \"rows\" : [ { \"rank\" : 1 , \"name\" : \"NEUMÜLLER Hansgünther\" } ] } ",
        "{\"a\":1,\"a\":2}", "{\"data\":[1,{\"data\":2}]}",
    ]

    // MARK: Checking one input

    struct Checker {
        let shard: Int
        var iteration = 0
        var failures = 0
        var accepted = 0
        var rejected = 0
        var oracleCompared = 0
        static let rawKeys: Set<String> = ["data", "a"]

        mutating func fail(_ message: String, _ bytes: [UInt8], sourceLocation: SourceLocation = #_sourceLocation) {
            self.failures += 1
            if self.failures <= 20 {
                Issue.record("shard \(self.shard) iteration \(self.iteration): \(message)\n  input: \(describe(bytes))", sourceLocation: sourceLocation)
            }
        }

        /// Reused for every input (debug-mode NIO is slow to allocate).
        var buffer = ByteBuffer()

        mutating func check(_ bytes: [UInt8], expected: JSONValue?) {
            self.buffer.clear()
            bytes.withUnsafeBytes { _ = self.buffer.writeBytes($0) }
            let buffer = self.buffer
            let parsed = outcome { () throws(HubError) in try JSONParser.parse(buffer) }
            let validated = outcome { () throws(HubError) in try JSONParser.validate(buffer) }
            // parseObject on every object and on every 8th other input (it must reject those).
            let first = bytes.first { $0 != 0x20 && $0 != 0x0A && $0 != 0x0D && $0 != 0x09 }
            let object: Result<JSONParser.Object, HubError>? =
                first == UInt8(ascii: "{") || self.iteration % 8 == 0
                ? outcome { () throws(HubError) in try JSONParser.parseObject(buffer, rawKeys: Self.rawKeys) } : nil

            for error in [parsed.failure, validated.failure, object?.failure] {
                if let error, error.code != "bad_json" { self.fail("error code \(error.code), not bad_json: \(error)", bytes) }
            }
            if parsed.isSuccess != validated.isSuccess {
                self.fail("parse \(parsed.isSuccess ? "accepts" : "rejects") but validate \(validated.isSuccess ? "accepts" : "rejects") (\(parsed.failure ?? validated.failure!))", bytes)
            }
            if let expected {
                if let value = parsed.value {
                    if value != expected { self.fail("parsed \(value.serialized), generated \(expected.serialized)", bytes) }
                } else {
                    self.fail("generated valid document rejected: \(parsed.failure!)", bytes)
                }
            }

            if let value = parsed.value {
                self.accepted += 1
                self.checkRoundTrip(value, bytes)
                if let object { self.checkObject(value, object, bytes) }
            } else {
                self.rejected += 1
                if object?.isSuccess == true { self.fail("parseObject accepts what parse rejects", bytes) }
            }
            self.compareWithOracle(bytes, accepted: parsed.isSuccess)
            self.checkTopic(bytes)
        }

        /// The same bytes as a topic and as a pattern: no crash, `bad_topic` only, and the reference's verdict.
        /// (Every 4th input and short ones only, to keep the run fast; `TopicFuzzTests` covers topics in depth.)
        mutating func checkTopic(_ bytes: [UInt8]) {
            guard self.iteration % 4 == 0, bytes.count <= 48, let text = String(validating: bytes, as: UTF8.self), !TopicFuzzTests.isBareDollar(text) else { return }
            let topic = outcome { () throws(HubError) in try Topic(validating: text, allowSystem: true) }
            let pattern = outcome { () throws(HubError) in try TopicPattern(validating: text) }
            if let error = topic.failure ?? pattern.failure, error.code != "bad_topic" { self.fail("topic error \(error)", bytes) }
            if topic.isSuccess != TopicFuzzTests.referenceValid(text, allowSystem: true, wildcards: false) {
                self.fail("Topic(validating:allowSystem: true) \(topic.isSuccess ? "accepts" : "rejects"), the reference disagrees", bytes)
            }
            if pattern.isSuccess != TopicFuzzTests.referenceValid(text, allowSystem: true, wildcards: true) {
                self.fail("TopicPattern(validating:) \(pattern.isSuccess ? "accepts" : "rejects"), the reference disagrees", bytes)
            }
        }

        mutating func checkRoundTrip(_ value: JSONValue, _ bytes: [UInt8]) {
            let serialized = value.serialized
            switch outcome({ () throws(HubError) in try JSONParser.parse(serialized) }) {
            case .success(let again):
                if again != value { self.fail("re-parse differs: \(serialized)", bytes) }
                if again.serialized != serialized { self.fail("re-serialization differs: \(serialized) vs \(again.serialized)", bytes) }
            case .failure(let error):
                self.fail("serialized form \(serialized.debugDescription) does not parse: \(error)", bytes)
            }
        }

        mutating func checkObject(_ value: JSONValue, _ object: Result<JSONParser.Object, HubError>, _ bytes: [UInt8]) {
            guard case .object(let members) = value else {
                if object.isSuccess { self.fail("parseObject accepts a non-object", bytes) }
                return
            }
            guard let object = object.value else {
                self.fail("parseObject rejects an object: \(object.failure!)", bytes)
                return
            }
            let plain = members.filter { !Self.rawKeys.contains($0.0) }
            if object.fields != .object(plain) { self.fail("parseObject fields \(object.fields.serialized) differ", bytes) }
            for key in Self.rawKeys {
                let member = value[key]
                let raw = object.raw[key]
                switch (member, raw) {
                case (nil, nil): break
                case (let member?, let raw?):
                    switch outcome({ () throws(HubError) in try JSONParser.parse(raw) }) {
                    case .success(let rawValue):
                        if rawValue != member { self.fail("raw \(key) parses to \(rawValue.serialized), not \(member.serialized)", bytes) }
                    case .failure(let error):
                        self.fail("raw \(key) \(describe(raw.bytes)) does not parse: \(error)", bytes)
                    }
                    // The raw slice is a byte range of the input.
                    if bytes.count <= 512, !Self.contains(bytes, raw.bytes) { self.fail("raw \(key) is not a slice of the input", bytes) }
                default:
                    self.fail("raw \(key) present: \(raw != nil), member present: \(member != nil)", bytes)
                }
            }
        }

        static func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
            guard needle.count <= haystack.count else { return false }
            if needle.isEmpty { return true }
            for start in 0...(haystack.count - needle.count) where haystack[start] == needle[0] {
                if haystack[start..<(start + needle.count)].elementsEqual(needle) { return true }
            }
            return false
        }

        mutating func compareWithOracle(_ bytes: [UInt8], accepted: Bool) {
            guard String(validating: bytes, as: UTF8.self) != nil else { return }
            if let reason = JSONFuzzTests.oracleDisagreementIsTolerated(bytes) { _ = reason; return }
            self.oracleCompared += 1
            let foundation = (try? JSONSerialization.jsonObject(with: Data(bytes), options: [.fragmentsAllowed])) != nil
            if foundation != accepted {
                self.fail("JSONSerialization \(foundation ? "accepts" : "rejects"), JSONParser \(accepted ? "accepts" : "rejects")", bytes)
            }
        }
    }

    /// Where `JSONParser` and Foundation's `JSONSerialization` legitimately differ,
    /// the reason; `nil` when they must agree. Only valid UTF-8 reaches this.
    ///
    /// - NUL bytes or a byte order mark: Foundation sniffs the encoding (UTF-16/32, BOM);
    ///   JSON on the wire is UTF-8 only (RFC 8259 §8.1), so the strict parser rejects them.
    /// - Deep nesting: JSONParser stops at `maxDepth` (128) levels, Foundation at 512.
    /// - Numbers: JSONParser keeps the text of any syntactically valid number, however large
    ///   (`1e400`, 400 digits); Foundation may refuse what a Double cannot hold.
    /// - Trailing commas: Foundation on Linux accepts `[1,]` and `{"a":1,}`; RFC 8259 and JSONParser do not.
    /// - Duplicate keys are accepted by both (JSONParser keeps all, lookups take the last): no tolerance needed.
    static func oracleDisagreementIsTolerated(_ bytes: [UInt8]) -> String? {
        bytes.withUnsafeBufferPointer { bytes -> String? in
            if bytes.count >= 3, bytes[0] == 0xEF, bytes[1] == 0xBB, bytes[2] == 0xBF { return "byte order mark" }
            var depth = 0
            var afterComma = false
            var exponentDigits = -1  // -1: not in an exponent
            var digitRun = 0
            for byte in bytes {
                switch byte {
                case 0: return "NUL byte: Foundation guesses UTF-16/32"
                case UInt8(ascii: "["), UInt8(ascii: "{"):
                    depth += 1
                    if depth >= JSONParser.maxDepth - 1 { return "deep nesting" }
                case UInt8(ascii: "]"), UInt8(ascii: "}"):
                    if afterComma { return "trailing comma" }
                    depth -= 1
                default: break
                }
                if byte == UInt8(ascii: ",") {
                    afterComma = true
                } else if byte != 0x20 && byte != 0x0A && byte != 0x0D && byte != 0x09 {
                    afterComma = false
                }
                if byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") {
                    digitRun += 1
                    if digitRun > 300 { return "long number" }
                    if exponentDigits >= 0 {
                        exponentDigits += 1
                        if exponentDigits >= 3 { return "large exponent" }
                    }
                } else {
                    digitRun = 0
                    if byte == UInt8(ascii: "e") || byte == UInt8(ascii: "E") {
                        exponentDigits = 0
                    } else if !(exponentDigits == 0 && (byte == UInt8(ascii: "+") || byte == UInt8(ascii: "-"))) {
                        exponentDigits = -1
                    }
                }
            }
            return nil
        }
    }

    // MARK: Generating valid documents

    struct Generator {
        var rng: SeededRNG

        mutating func document() -> (String, JSONValue) {
            var text = ""
            let value = self.value(depth: 0, into: &text)
            return (self.whitespace() + text + self.whitespace(), value)
        }

        mutating func whitespace() -> String {
            guard self.rng.chance(0.25) else { return "" }
            return String((0..<self.rng.int(1...3)).map { _ in self.rng.pick([" ", "\n", "\t", "\r"] as [Character]) })
        }

        mutating func value(depth: Int, into out: inout String) -> JSONValue {
            let containers = depth < 6
            switch self.rng.int(0..<(containers ? 9 : 6)) {
            case 0:
                out += "null"
                return .null
            case 1:
                let b = self.rng.chance(0.5)
                out += b ? "true" : "false"
                return .bool(b)
            case 2, 3:
                let n = self.number()
                out += n
                return .number(n)
            case 4, 5:
                let (literal, string) = self.string()
                out += literal
                return .string(string)
            case 6, 7:
                out += "{"
                var members: [(String, JSONValue)] = []
                for index in 0..<self.rng.int(0...4) {
                    out += self.whitespace()
                    if index > 0 { out += "," + self.whitespace() }
                    let (literal, key) = self.rng.chance(0.3) ? ("\"data\"", "data") : self.string()
                    out += literal + self.whitespace() + ":" + self.whitespace()
                    members.append((key, self.value(depth: depth + 1, into: &out)))
                }
                out += self.whitespace() + "}"
                return .object(members)
            default:
                out += "["
                var items: [JSONValue] = []
                for index in 0..<self.rng.int(0...4) {
                    out += self.whitespace()
                    if index > 0 { out += "," + self.whitespace() }
                    items.append(self.value(depth: depth + 1, into: &out))
                }
                out += self.whitespace() + "]"
                return .array(items)
            }
        }

        mutating func digits(_ range: ClosedRange<Int>) -> String {
            String((0..<self.rng.int(range)).map { _ in Character(String(self.rng.int(0...9))) })
        }

        mutating func number() -> String {
            var n = self.rng.chance(0.3) ? "-" : ""
            n += self.rng.chance(0.2) ? "0" : String(self.rng.int(1...9)) + self.digits(0...(self.rng.chance(0.05) ? 25 : 6))
            if self.rng.chance(0.3) { n += "." + self.digits(1...5) }
            if self.rng.chance(0.2) {
                n += self.rng.pick(["e", "E"]) + self.rng.pick(["", "+", "-"]) + self.digits(1...2)
            }
            return n
        }

        /// A string literal and the string it denotes.
        mutating func string() -> (String, String) {
            var literal = "\""
            var value = String.UnicodeScalarView()
            for _ in 0..<self.rng.int(0...8) {
                switch self.rng.int(0..<10) {
                case 0...3:
                    let scalar = Unicode.Scalar(UInt8(self.rng.int(0x20...0x7E)))
                    if scalar == "\"" || scalar == "\\" { literal += "\\" }
                    literal.unicodeScalars.append(scalar)
                    value.append(scalar)
                case 4:
                    let (escape, scalar) = self.rng.pick([
                        ("\\\"", "\""), ("\\\\", "\\"), ("\\/", "/"), ("\\b", "\u{8}"), ("\\f", "\u{C}"),
                        ("\\n", "\n"), ("\\r", "\r"), ("\\t", "\t"),
                    ] as [(String, Unicode.Scalar)])
                    literal += escape
                    value.append(scalar)
                case 5:
                    // \uXXXX of a BMP scalar (no surrogates), in either case.
                    var code = UInt32(self.rng.int(0...0xFFFF))
                    if (0xD800...0xDFFF).contains(code) { code = 0xE9 }
                    var hex = String(code, radix: 16, uppercase: self.rng.chance(0.5))
                    hex = String(repeating: "0", count: 4 - hex.count) + hex
                    literal += "\\u" + hex
                    value.append(Unicode.Scalar(code)!)
                case 6:
                    // A surrogate pair.
                    let code = UInt32(self.rng.int(0x10000...0x10FFFF))
                    let high = 0xD800 + ((code - 0x10000) >> 10)
                    let low = 0xDC00 + ((code - 0x10000) & 0x3FF)
                    literal += "\\u" + String(high, radix: 16) + "\\u" + String(low, radix: 16, uppercase: true)
                    value.append(Unicode.Scalar(code)!)
                default:
                    // A raw non-ASCII scalar.
                    let scalar = self.rng.pick(["é", "ü", "€", "😀", "\u{FFFF}", "\u{10FFFF}", "\u{7F}", "\u{80}", "\u{2028}", "中"] as [Unicode.Scalar])
                    literal.unicodeScalars.append(scalar)
                    value.append(scalar)
                }
            }
            return (literal + "\"", String(value))
        }
    }

    // MARK: Mutating

    enum Mutator {
        static let tokens: [[UInt8]] = [
            "{", "}", "[", "]", ",", ":", "\"", "\\", " ", "\n", "\t", "\r", "0", "1", "9", "-", "+", ".", "e", "E",
            "true", "false", "null", "tru", "nul", "\"a\"", "\"data\"", "\\u", "\\uD83D", "\\uDE00", "\\uD800", "\\uDC00",
            "\\u00e9", "\\n", "\\x", "01", "1.", ".5", "1e", "NaN", "Infinity", "é", "😀", "\u{0}", "\u{1}", "\u{1F}", "\u{7F}",
            "\u{FEFF}", "\u{A0}", "{\"a\":", "[[", "]]", "a", "x", "'",
        ].map { Array($0.utf8) } + [[0xFF], [0xC3], [0x80], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80], [0xC0, 0xAF]]

        static func mutate(_ bytes: inout [UInt8], corpus: [[UInt8]], rng: inout SeededRNG) {
            switch rng.int(0..<9) {
            case 0 where !bytes.isEmpty:
                // Flip a bit.
                let index = rng.int(0..<bytes.count)
                bytes[index] ^= 1 << UInt8(rng.int(0..<8))
            case 1 where !bytes.isEmpty:
                // Replace a byte with a structural one.
                bytes[rng.int(0..<bytes.count)] = rng.pick(Array("{}[],:\"\\ 0123456789-+.eEtfnu".utf8))
            case 2 where !bytes.isEmpty:
                // Delete a range.
                let start = rng.int(0..<bytes.count)
                bytes.removeSubrange(start..<min(bytes.count, start + rng.int(1...4)))
            case 3 where !bytes.isEmpty:
                // Duplicate a range.
                let start = rng.int(0..<bytes.count)
                let end = min(bytes.count, start + rng.int(1...8))
                bytes.insert(contentsOf: bytes[start..<end], at: rng.int(0...bytes.count))
            case 4 where !bytes.isEmpty:
                // Truncate.
                bytes.removeLast(rng.int(1...bytes.count))
            case 5:
                // Splice with another corpus entry.
                let other = rng.pick(corpus)
                let cut = rng.int(0...bytes.count)
                let otherCut = rng.int(0...other.count)
                bytes = Array(bytes[..<cut]) + Array(other[otherCut...])
            case 6:
                // Wrap in a container.
                let (open, close) = rng.pick([("[", "]"), ("{\"data\":", "}"), ("{\"a\":", "}")])
                bytes = Array(open.utf8) + bytes + (rng.chance(0.9) ? Array(close.utf8) : [])
            default:
                // Insert a token.
                bytes.insert(contentsOf: rng.pick(Self.tokens), at: rng.int(0...bytes.count))
            }
            if bytes.count > 4_096 { bytes.removeLast(bytes.count - 4_096) }
        }
    }
}
