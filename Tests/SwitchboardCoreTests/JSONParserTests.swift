import NIOCore
import SwitchboardCore
import Testing

/// `JSONParser` (strict RFC 8259) and `JSONValue` writing.
@Suite("JSON parser")
struct JSONParserTests {
    // MARK: Accepted documents

    static let validDocuments: [(String, JSONValue)] = [
        ("null", .null),
        ("true", .bool(true)),
        ("false", .bool(false)),
        ("0", .number("0")),
        ("-0", .number("-0")),
        ("1", .number("1")),
        ("-1", .number("-1")),
        ("21.50", .number("21.50")),
        ("1e10", .number("1e10")),
        ("1E+10", .number("1E+10")),
        ("1e-10", .number("1e-10")),
        ("-0.0e0", .number("-0.0e0")),
        ("0.5", .number("0.5")),
        ("123456789012345678901234567890", .number("123456789012345678901234567890")),
        ("1e400", .number("1e400")),
        ("\"\"", .string("")),
        ("\"abc\"", .string("abc")),
        ("[]", .array([])),
        ("{}", .object([])),
        ("[1,2,3]", .array([.number("1"), .number("2"), .number("3")])),
        (" \t\r\n{ \"a\" :\t[ true ,\nnull ] , \"b\" : { } }\r\n ", .object([("a", .array([.bool(true), .null])), ("b", .object([]))])),
        ("{\"a\":1,\"a\":2}", .object([("a", .number("1")), ("a", .number("2"))])),
        ("[[[[]]]]", .array([.array([.array([.array([])])])])),
        ("{\"\":\"\"}", .object([("", .string(""))])),
        ("[\"a\",{\"b\":[false,\"c\"]},-3.25E-2]", .array([.string("a"), .object([("b", .array([.bool(false), .string("c")]))]), .number("-3.25E-2")])),
    ]

    @Test("valid documents parse to the expected value", arguments: validDocuments)
    func valid(_ text: String, _ expected: JSONValue) throws {
        let value = try JSONParser.parse(text)
        #expect(value == expected)
        try JSONParser.validate(ByteBuffer(string: text))
        #expect(try JSONParser.parse(ByteBuffer(string: text)) == expected)
        // Re-serialize and re-parse.
        #expect(try JSONParser.parse(value.serialized) == expected)
    }

    @Test("numbers keep their exact text")
    func numberText() throws {
        for text in ["21.50", "1.0", "-0", "1E+10", "1e-007", "123456789012345678901234567890.000"] {
            guard case .number(let n) = try JSONParser.parse(text) else {
                Issue.record("\(text) is not a number")
                continue
            }
            #expect(n == text)
            #expect(try JSONParser.parse("[\(text)]").serialized == "[\(text)]")
        }
    }

    @Test("compact serialization keeps member order")
    func compactSerialization() throws {
        let value = try JSONParser.parse(" { \"z\" : [ 1 , \"x\" ] , \"a\" : { \"k\" : null } , \"m\" : 2.50 } ")
        #expect(value.serialized == "{\"z\":[1,\"x\"],\"a\":{\"k\":null},\"m\":2.50}")
        #expect(value["a"] == .object([("k", .null)]))
        #expect(value["missing"] == nil)
        // A repeated key: lookup finds the last one; serialization keeps both.
        let repeated = try JSONParser.parse("{\"a\":1,\"a\":2}")
        #expect(repeated["a"]?.int64Value == 2)
        #expect(repeated.serialized == "{\"a\":1,\"a\":2}")
    }

    // MARK: Strings

    static let strings: [(String, String)] = [
        ("\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"", "\"\\/\u{8}\u{C}\n\r\t"),
        ("\"\\u0041\"", "A"),
        ("\"\\u00e9\"", "é"),
        ("\"\\u00E9\"", "é"),
        ("\"\\u20AC\"", "€"),
        ("\"\\uD83D\\uDE00\"", "😀"),
        ("\"\\ud83d\\ude00\"", "😀"),
        ("\"\\uDBFF\\uDFFF\"", "\u{10FFFF}"),
        ("\"\\uD800\\uDC00\"", "\u{10000}"),
        ("\"a\\u0000b\"", "a\u{0}b"),
        ("\"\\u001f\"", "\u{1F}"),
        ("\"\\uFFFF\"", "\u{FFFF}"),
        ("\"é😀ü\"", "é😀ü"),
        ("\"é\\n😀\\u00e9x\"", "é\n😀éx"),
        ("\"\u{7F}\"", "\u{7F}"),
        ("\"NEUMÜLLER Hansgünther\"", "NEUMÜLLER Hansgünther"),
        ("\"tab\\there\\u0009\"", "tab\there\t"),
        ("\"e\\u0301\"", "e\u{301}"),
    ]

    @Test("strings with escapes and surrogate pairs", arguments: strings)
    func string(_ json: String, _ expected: String) throws {
        let value = try JSONParser.parse(json)
        #expect(value == .string(expected))
        #expect(value.stringValue?.unicodeScalars.elementsEqual(expected.unicodeScalars) == true)
        try JSONParser.validate(ByteBuffer(string: json))
        // As an object key too.
        let object = try JSONParser.parse("{\(json):\(json)}")
        #expect(object.objectValue?.first?.0.unicodeScalars.elementsEqual(expected.unicodeScalars) == true)
        // Round trip through the writer.
        #expect(try JSONParser.parse(value.serialized) == value)
    }

    // MARK: Rejected documents

    static let invalidDocuments: [(String, String)] = [
        ("", "empty input"),
        ("   ", "only whitespace"),
        ("nul", "truncated literal"),
        ("tru", "truncated literal"),
        ("fals", "truncated literal"),
        ("nulll", "literal with garbage"),
        ("True", "capitalised literal"),
        ("NULL", "capitalised literal"),
        ("NaN", "NaN"),
        ("nan", "nan"),
        ("Infinity", "Infinity"),
        ("-Infinity", "-Infinity"),
        ("01", "leading zero"),
        ("-01", "leading zero"),
        ("00", "double zero"),
        ("[01]", "leading zero in an array"),
        ("{\"a\":01}", "leading zero in an object"),
        ("1.", "no digits after the point"),
        ("[1.]", "no digits after the point"),
        (".5", "no digit before the point"),
        ("-.5", "no digit before the point"),
        ("+1", "plus sign"),
        ("-", "lone minus"),
        ("--1", "double minus"),
        ("1e", "empty exponent"),
        ("1e+", "empty exponent"),
        ("1E-", "empty exponent"),
        ("1.e5", "no fraction digits"),
        ("1e5.5", "fractional exponent"),
        ("0x10", "hex"),
        ("1_000", "digit separator"),
        ("1 2", "two values"),
        ("1,", "trailing comma"),
        ("[1,]", "trailing comma in an array"),
        ("[,1]", "leading comma in an array"),
        ("[1,,2]", "double comma"),
        ("{,}", "comma in an empty object"),
        ("{\"a\":1,}", "trailing comma in an object"),
        ("{\"a\"}", "member without a value"),
        ("{\"a\":}", "member without a value"),
        ("{\"a\" 1}", "missing colon"),
        ("{\"a\"::1}", "double colon"),
        ("{a:1}", "unquoted key"),
        ("{1:1}", "number key"),
        ("{'a':1}", "single quotes"),
        ("['a']", "single-quoted string"),
        ("[1 2]", "missing comma"),
        ("{\"a\":1 \"b\":2}", "missing comma between members"),
        ("[", "unterminated array"),
        ("[1", "unterminated array"),
        ("[1,", "unterminated array"),
        ("]", "closing bracket"),
        ("{", "unterminated object"),
        ("{\"a\":1", "unterminated object"),
        ("{\"a\"", "unterminated object"),
        ("}", "closing brace"),
        ("[}", "mismatched brackets"),
        ("{]", "mismatched brackets"),
        ("\"abc", "unterminated string"),
        ("\"", "lone quote"),
        ("\"abc\\", "unterminated escape"),
        ("\"abc\\\"", "escaped closing quote"),
        ("\"\\x41\"", "invalid escape"),
        ("\"\\U0041\"", "capital U escape"),
        ("\"\\'\"", "escaped single quote"),
        ("\"\\0\"", "octal escape"),
        ("\"\\u12\"", "short \\u escape"),
        ("\"\\u\"", "empty \\u escape"),
        ("\"\\u12G4\"", "non-hex \\u escape"),
        ("\"\\u 123\"", "space in \\u escape"),
        ("\"\\uD800\"", "lone high surrogate"),
        ("\"\\uDBFF\"", "lone high surrogate"),
        ("\"\\uDC00\"", "lone low surrogate"),
        ("\"\\uDFFF\"", "lone low surrogate"),
        ("\"\\uDE00\\uD83D\"", "surrogates in the wrong order"),
        ("\"\\uD800\\u0041\"", "high surrogate and a non-surrogate"),
        ("\"\\uD800\\uD800\"", "two high surrogates"),
        ("\"\\uD800x\"", "high surrogate then text"),
        ("\"\\uD800\\n\"", "high surrogate then another escape"),
        ("\"\\uD800\\", "high surrogate at the end"),
        ("\"a\nb\"", "raw newline in a string"),
        ("\"a\tb\"", "raw tab in a string"),
        ("\"a\rb\"", "raw carriage return in a string"),
        ("\"\u{0}\"", "raw NUL in a string"),
        ("\"\u{1F}\"", "raw unit separator in a string"),
        ("{\"a\u{1}\":1}", "control character in a key"),
        ("{} {}", "two objects"),
        ("[]x", "trailing text"),
        ("nullx", "trailing text"),
        ("true false", "two literals"),
        ("1]", "trailing bracket"),
        ("{}}", "trailing brace"),
        ("\"a\"\"b\"", "two strings"),
        ("\u{FEFF}1", "byte order mark"),
        ("\u{B}1", "vertical tab is not whitespace"),
        ("\u{C}1", "form feed is not whitespace"),
        ("\u{A0}1", "no-break space is not whitespace"),
        ("1\u{0}", "trailing NUL"),
        ("/* c */ 1", "comment"),
        ("// c\n1", "line comment"),
        ("undefined", "undefined"),
        ("[1,2,]", "trailing comma"),
        ("{\"a\":[}", "unterminated array in an object"),
    ]

    @Test("invalid documents are rejected with bad_json", arguments: invalidDocuments)
    func invalid(_ text: String, _ why: String) {
        Self.expectRejected(Array(text.utf8), why)
    }

    static let invalidUTF8Inputs: [([UInt8], String)] = [
        ([0x22, 0xFF, 0x22], "0xFF in a string"),
        ([0x22, 0xFE, 0x22], "0xFE in a string"),
        ([0x22, 0xC3, 0x22], "truncated two-byte sequence"),
        ([0x22, 0xE2, 0x82, 0x22], "truncated three-byte sequence"),
        ([0x22, 0xF0, 0x9F, 0x98, 0x22], "truncated four-byte sequence"),
        ([0x22, 0xC0, 0xAF, 0x22], "overlong '/'"),
        ([0x22, 0xC1, 0xBF, 0x22], "overlong two-byte"),
        ([0x22, 0xE0, 0x80, 0xAF, 0x22], "overlong three-byte"),
        ([0x22, 0xF0, 0x80, 0x80, 0xAF, 0x22], "overlong four-byte"),
        ([0x22, 0xED, 0xA0, 0x80, 0x22], "UTF-8-encoded high surrogate"),
        ([0x22, 0xED, 0xBF, 0xBF, 0x22], "UTF-8-encoded low surrogate"),
        ([0x22, 0xED, 0xA0, 0xBD, 0xED, 0xB8, 0x80, 0x22], "CESU-8 surrogate pair"),
        ([0x22, 0xF4, 0x90, 0x80, 0x80, 0x22], "above U+10FFFF"),
        ([0x22, 0xF8, 0x88, 0x80, 0x80, 0x80, 0x22], "five-byte sequence"),
        ([0x22, 0x80, 0x22], "bare continuation byte"),
        ([0x80], "bare continuation byte at top level"),
        ([0x31, 0xFF], "0xFF after a number"),
        ([0x5B, 0x31, 0x2C, 0xC3, 0x5D], "invalid byte between values"),
        ([0x7B, 0x22, 0xC3, 0x28, 0x22, 0x3A, 0x31, 0x7D], "invalid byte in a key"),
        ([0x22, 0x61, 0x22, 0x20, 0xFF], "invalid byte in trailing whitespace"),
        ([0x7B, 0x22, 0x64, 0x61, 0x74, 0x61, 0x22, 0x3A, 0x22, 0xFF, 0x22, 0x7D], "invalid byte in the data member"),
    ]

    @Test("invalid UTF-8 is rejected with bad_json", arguments: invalidUTF8Inputs)
    func rejectsInvalidUTF8(_ bytes: [UInt8], _ why: String) {
        Self.expectRejected(bytes, why)
    }

    static func expectRejected(_ bytes: [UInt8], _ why: String, sourceLocation: SourceLocation = #_sourceLocation) {
        let buffer = ByteBuffer(bytes: bytes)
        let what = "\(why): \(describe(bytes))"
        expectHubError("bad_json", "parse, \(what)", sourceLocation: sourceLocation) { () throws(HubError) in
            _ = try JSONParser.parse(buffer)
        }
        expectHubError("bad_json", "validate, \(what)", sourceLocation: sourceLocation) { () throws(HubError) in
            try JSONParser.validate(buffer)
        }
        expectHubError("bad_json", "parseObject, \(what)", sourceLocation: sourceLocation) { () throws(HubError) in
            _ = try JSONParser.parseObject(buffer, rawKeys: ["data"])
        }
        // Wrapped as an object member (raw and parsed), it still fails.
        var wrapped = ByteBuffer(string: "{\"data\":")
        wrapped.writeBytes(bytes)
        wrapped.writeString("}")
        expectHubError("bad_json", "as a raw member, \(what)", sourceLocation: sourceLocation) { () throws(HubError) in
            _ = try JSONParser.parseObject(wrapped, rawKeys: ["data"])
        }
        expectHubError("bad_json", "as a member, \(what)", sourceLocation: sourceLocation) { () throws(HubError) in
            _ = try JSONParser.parseObject(wrapped, rawKeys: [])
        }
    }

    // MARK: Depth

    static func nested(_ depth: Int, open: String = "[", close: String = "]", inner: String = "") -> String {
        String(repeating: open, count: depth) + inner + String(repeating: close, count: depth)
    }

    @Test("nesting up to maxDepth is accepted")
    func depthAccepted() throws {
        #expect(JSONParser.maxDepth == 128)
        // maxDepth containers (empty innermost), and maxDepth - 1 containers around a scalar.
        for text in [
            Self.nested(JSONParser.maxDepth),
            Self.nested(JSONParser.maxDepth - 1, inner: "1"),
            Self.nested(JSONParser.maxDepth - 1, open: "{\"a\":", close: "}", inner: "1"),
            Self.nested(JSONParser.maxDepth / 2 - 1, open: "[{\"a\":", close: "}]", inner: "[1]"),
        ] {
            _ = try JSONParser.parse(text)
            try JSONParser.validate(ByteBuffer(string: text))
        }
        let object = Self.nested(JSONParser.maxDepth - 1, open: "{\"a\":", close: "}", inner: "1")
        _ = try JSONParser.parseObject(ByteBuffer(string: object), rawKeys: [])
        _ = try JSONParser.parseObject(ByteBuffer(string: object), rawKeys: ["a"])
    }

    @Test("nesting deeper than maxDepth throws bad_json instead of overflowing the stack")
    func depthRejected() {
        let cases: [(String, String)] = [
            (Self.nested(JSONParser.maxDepth + 1), "maxDepth + 1 arrays"),
            (Self.nested(JSONParser.maxDepth + 1, open: "{\"a\":", close: "}", inner: "1"), "maxDepth + 1 objects"),
            (Self.nested(100_000), "100,000 arrays"),
            (String(repeating: "[", count: 1_000_000), "1,000,000 unclosed arrays"),
            (String(repeating: "{\"a\":", count: 200_000), "200,000 unclosed objects"),
            (String(repeating: "[{\"data\":", count: 100_000), "alternating, unclosed"),
        ]
        for (text, why) in cases {
            Self.expectRejected(Array(text.utf8), why)
        }
        // The raw member of parseObject counts its depth from the top-level object.
        let deepRaw = "{\"data\":" + Self.nested(JSONParser.maxDepth) + "}"
        expectHubError("bad_json") { () throws(HubError) in
            _ = try JSONParser.parseObject(ByteBuffer(string: deepRaw), rawKeys: ["data"])
        }
        expectHubError("bad_json") { () throws(HubError) in
            _ = try JSONParser.parseObject(ByteBuffer(string: deepRaw), rawKeys: [])
        }
    }

    // MARK: parseObject

    @Test("parseObject keeps raw members byte-exact")
    func rawMembersExact() throws {
        let cases: [(String, String)] = [
            ("{\"data\":21.50}", "21.50"),
            ("{\"topic\":\"lab/temp\",\"data\":{\"v\": [1, 2 ,3]} ,\"x\":1}", "{\"v\": [1, 2 ,3]}"),
            ("{\"data\":\"a\\u00e9\\n\\/\"}", "\"a\\u00e9\\n\\/\""),
            ("{\"data\":[1.0e+3,-0,\"é\"],\"topic\":\"t\"}", "[1.0e+3,-0,\"é\"]"),
            ("{\"data\":null}", "null"),
            ("{\"data\":{}}", "{}"),
        ]
        for (text, raw) in cases {
            let object = try JSONParser.parseObject(ByteBuffer(string: text), rawKeys: ["data"])
            #expect(object.raw["data"]?.text == raw, "\(text)")
            #expect(object["data"] == nil)
        }
    }

    /// Regression (fixed in acb5bed): the raw slice started right after the ':' and so kept the whitespace before the value.
    @Test("parseObject raw members exclude surrounding whitespace")
    func rawMembersWithoutWhitespace() throws {
        let cases: [(String, String)] = [
            ("{\"data\": 21.50 }", "21.50"),
            ("{ \"data\" :\n\t{\"v\":1}\r\n}", "{\"v\":1}"),
            ("{\"topic\":\"t\", \"data\" : [1, 2] , \"x\":1}", "[1, 2]"),
        ]
        for (text, raw) in cases {
            let object = try JSONParser.parseObject(ByteBuffer(string: text), rawKeys: ["data"])
            #expect(object.raw["data"]?.text == raw, "input \(text.debugDescription)")
        }
    }

    @Test("parseObject splits raw and parsed members")
    func parseObjectFields() throws {
        let text = "{\"op\":\"pub\",\"id\":3,\"topic\":\"lab/temp\",\"data\":{\"v\":21.5},\"key\":\"esp32-1:000123\"}"
        let object = try JSONParser.parseObject(ByteBuffer(string: text), rawKeys: ["data", "absent"])
        #expect(object.fields == .object([
            ("op", .string("pub")), ("id", .number("3")), ("topic", .string("lab/temp")), ("key", .string("esp32-1:000123")),
        ]))
        #expect(object["op"]?.stringValue == "pub")
        #expect(object["id"]?.int64Value == 3)
        #expect(object.raw.keys.sorted() == ["data"])
        #expect(object.raw["absent"] == nil)
        #expect(try JSONParser.parse(object.raw["data"]!) == .object([("v", .number("21.5"))]))

        // With no raw keys it is a plain parse.
        let plain = try JSONParser.parseObject(ByteBuffer(string: text), rawKeys: [])
        #expect(plain.fields == (try JSONParser.parse(text)))
        #expect(plain.raw.isEmpty)

        // Empty object.
        let empty = try JSONParser.parseObject(ByteBuffer(string: " {} "), rawKeys: ["data"])
        #expect(empty.fields == .object([]))
        #expect(empty.raw.isEmpty)

        // A repeated raw key keeps the last value, as lookups of parsed members do.
        let repeated = try JSONParser.parseObject(ByteBuffer(string: "{\"data\":1,\"data\":2}"), rawKeys: ["data"])
        #expect(repeated.raw["data"]?.text == "2")
    }

    @Test("parseObject honours the buffer's reader index")
    func parseObjectReaderIndex() throws {
        var buffer = ByteBuffer(string: "GARBAGE{\"x\":[1],\"data\":[true,\"s\"]}TRAILING")
        buffer.moveReaderIndex(forwardBy: 7)
        buffer.moveWriterIndex(to: buffer.writerIndex - 8)
        let object = try JSONParser.parseObject(buffer, rawKeys: ["data"])
        #expect(object.raw["data"]?.text == "[true,\"s\"]")
        #expect(object["x"] == .array([.number("1")]))
        #expect(try JSONParser.parse(buffer)["x"] == .array([.number("1")]))
        try JSONParser.validate(buffer)

        // A slice of a larger buffer, as the server hands over frame payloads.
        let big = ByteBuffer(string: "[[[{\"data\":\"inner\"}]]]")
        let slice = big.getSlice(at: 3, length: big.readableBytes - 6)!
        #expect(try JSONParser.parseObject(slice, rawKeys: ["data"]).raw["data"]?.text == "\"inner\"")
    }

    @Test("parseObject rejects documents that are not objects", arguments: ["[1]", "1", "\"x\"", "null", "true", " [ {} ] ", ""])
    func parseObjectNotObject(_ text: String) throws {
        expectHubError("bad_json", "\(text.debugDescription)") { () throws(HubError) in
            _ = try JSONParser.parseObject(ByteBuffer(string: text), rawKeys: ["data"])
        }
    }

    @Test("parseObject validates raw members and what follows", arguments: [
        "{\"data\": 01}", "{\"data\":[1,}", "{\"data\":\"\\uD800\"}", "{\"data\":1,}", "{\"data\":1} x", "{\"data\":{\"a\":1}",
        "{\"data\":1 \"x\":2}", "{\"data\":}", "{\"data\":tru}", "{\"data\":\"a\nb\"}",
    ])
    func parseObjectRejectsBadRaw(_ text: String) {
        expectHubError("bad_json", "\(text.debugDescription)") { () throws(HubError) in
            _ = try JSONParser.parseObject(ByteBuffer(string: text), rawKeys: ["data"])
        }
    }

    // MARK: Errors

    @Test("errors are bad_json with a position")
    func errorShape() {
        do throws(HubError) {
            _ = try JSONParser.parse("[1,2,x]")
            Issue.record("no error")
        } catch {
            #expect(error.code == "bad_json")
            #expect(error.httpStatus == 400)
            #expect(error.message.contains("byte 5"), "\(error.message)")
        }
    }

    // MARK: Writing

    @Test("appendQuoted escapes every control character, quote and backslash")
    func quotedEscapes() throws {
        var all = ""
        for value in 0..<0x20 {
            let scalar = Unicode.Scalar(UInt8(value))
            let text = "a\(Character(scalar))b"
            all.unicodeScalars.append(scalar)
            let quoted = JSONValue.quoted(text)
            #expect(!quoted.utf8.contains { $0 < 0x20 }, "U+\(value) is written raw: \(quoted.debugDescription)")
            #expect(try JSONParser.parse(quoted) == .string(text), "U+\(value)")
        }
        #expect(JSONValue.quoted("\u{1}") == "\"\\u0001\"")
        #expect(JSONValue.quoted("\u{1F}").lowercased() == "\"\\u001f\"")
        #expect(JSONValue.quoted("\n\r\t") == "\"\\n\\r\\t\"")
        #expect(JSONValue.quoted("say \"hi\"") == "\"say \\\"hi\\\"\"")
        #expect(JSONValue.quoted("a\\b") == "\"a\\\\b\"")
        #expect(JSONValue.quoted("plain") == "\"plain\"")
        #expect(JSONValue.quoted("") == "\"\"")
        #expect(JSONValue.quoted("é😀/\u{7F}") == "\"é😀/\u{7F}\"")
        for text in [all, all + "\"\\é😀", "\"", "\\", "\\\"", "é\u{0}😀"] {
            var out = "prefix:"
            JSONValue.appendQuoted(text, to: &out)
            #expect(out.hasPrefix("prefix:\""))
            #expect(try JSONParser.parse(String(out.dropFirst(7))) == .string(text))
        }
    }

    @Test("serialized output re-parses equal")
    func roundTrip() throws {
        let documents = Self.validDocuments.map(\.0) + Self.strings.map(\.0) + [
            "{\"k\\n\\u0001\\\"\":\"v\\t\\u001f\\\\\",\"\\uD83D\\uDE00\":[\"\\u0000\"]}",
            "[1e400,-1e-400,123456789012345678901234567890.5]",
        ]
        for text in documents {
            let value = try JSONParser.parse(text)
            let serialized = value.serialized
            let again = try JSONParser.parse(serialized)
            #expect(again == value, "\(text)")
            #expect(again.serialized == serialized, "\(text)")
            #expect(value.buffer().text == serialized)
        }
    }

    @Test("JSONValue helpers")
    func helpers() {
        #expect(JSONValue.int(42) == .number("42"))
        #expect(JSONValue.double(2.5).serialized == "2.5")
        #expect(JSONValue.double(3).serialized == "3")
        #expect(JSONValue.double(.nan) == .null)
        #expect(JSONValue.double(.infinity) == .null)
        #expect(JSONValue.number("1.0") == .number("1"))
        #expect(JSONValue.number("1") != .string("1"))
        #expect(JSONValue.object([("a", .null)]) != .object([("b", .null)]))
        #expect(JSONValue.number("9007199254740993").int64Value == 9_007_199_254_740_993)
        #expect(JSONValue.number("1.5").int64Value == nil)
        #expect(JSONValue.number("2.0").int64Value == 2)
    }
}
