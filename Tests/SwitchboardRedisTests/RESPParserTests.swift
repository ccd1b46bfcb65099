import NIOCore
import Testing

@testable import SwitchboardRedis

@Suite struct RESPParserTests {
    /// Parses `chunks` fed one after another, as reads from a socket; throws the parser's error.
    static func parse(_ chunks: [[UInt8]], limits: RESPParser.Limits = .init()) throws -> (values: [RESPValue], leftover: Int) {
        var parser = RESPParser(limits: limits)
        var buffer = ByteBuffer()
        var values: [RESPValue] = []
        for chunk in chunks {
            buffer.writeBytes(chunk)
            while let value = try parser.next(&buffer) { values.append(value) }
            buffer.discardReadBytes()
        }
        return (values, buffer.readableBytes)
    }

    static func parse(_ text: String) throws -> [RESPValue] {
        try self.parse([Array(text.utf8)]).values
    }

    static func bulk(_ text: String) -> RESPValue { .bulkString(ByteBuffer(string: text)) }

    @Test func scalars() throws {
        let values = try Self.parse("+OK\r\n-ERR wrong\r\n:42\r\n:-7\r\n$5\r\nhello\r\n$0\r\n\r\n$-1\r\n")
        #expect(values == [.simpleString("OK"), .error("ERR wrong"), .integer(42), .integer(-7), Self.bulk("hello"), Self.bulk(""), .bulkString(nil)])
        #expect(values[4].string == "hello" && values[2].int == 42 && values[6].isNull)
    }

    @Test func bulkStringsCarryAnyBytes() throws {
        let values = try Self.parse("$4\r\na\r\nb\r\n")
        #expect(values == [Self.bulk("a\r\nb")])
    }

    @Test func nestedAndNullArrays() throws {
        let values = try Self.parse("*2\r\n*2\r\n$2\r\nid\r\n*2\r\n$1\r\nf\r\n$1\r\nv\r\n*0\r\n*-1\r\n")
        let entry: RESPValue = .array([Self.bulk("id"), .array([Self.bulk("f"), Self.bulk("v")])])
        #expect(values == [.array([entry, .array([])]), .array(nil)])
        #expect(values[1].isNull)
    }

    /// Found by the fuzzer: an empty array innermost was one level past the limit and passed.
    @Test func nestingDeeperThanTheLimitIsRefusedEvenWhenTheInnermostArrayIsEmpty() throws {
        var limits = RESPParser.Limits()
        limits.maxDepth = 2
        #expect(try Self.parse([Array("*1\r\n*0\r\n*1\r\n*1\r\n:1\r\n".utf8)], limits: limits).values.count == 2)
        for deep in ["*1\r\n*1\r\n*0\r\n", "*1\r\n*1\r\n*1\r\n:1\r\n"] {
            #expect(throws: RedisError.self) { try Self.parse([Array(deep.utf8)], limits: limits) }
        }
    }

    @Test func everySplitGivesTheSameValues() throws {
        let bytes = Array("*3\r\n:1\r\n*2\r\n+a\r\n$-1\r\n$3\r\nxyz\r\n-ERR x\r\n".utf8)
        let whole = try Self.parse([bytes]).values
        #expect(whole.count == 2)
        for cut in 0...bytes.count {
            #expect(try Self.parse([Array(bytes[..<cut]), Array(bytes[cut...])]).values == whole, "cut at \(cut)")
        }
        #expect(try Self.parse(bytes.map { [$0] }).values == whole)
    }

    @Test func partialReplyWaitsForMore() throws {
        var parser = RESPParser()
        var buffer = ByteBuffer(string: "$10\r\n01234")
        #expect(try parser.next(&buffer) == nil)
        #expect(buffer.readableBytes == 10, "an incomplete bulk string is not consumed")
        buffer.writeString("56789\r\n")
        #expect(try parser.next(&buffer) == Self.bulk("0123456789"))
        #expect(buffer.readableBytes == 0)
    }

    @Test func bigBulkStringInSmallReads() throws {
        let payload = [UInt8](repeating: UInt8(ascii: "x"), count: 3 << 20)
        let bytes = Array("$\(payload.count)\r\n".utf8) + payload + Array("\r\n".utf8)
        let chunks = stride(from: 0, to: bytes.count, by: 65_536).map { Array(bytes[$0..<min(bytes.count, $0 + 65_536)]) }
        let (values, leftover) = try Self.parse(chunks)
        #expect(values.count == 1 && values[0].buffer?.readableBytes == payload.count && leftover == 0)
    }

    @Test(arguments: [
        "$999999999999\r\n",  // over 512 MiB
        "*99999999999\r\n",  // too many elements
        "$-2\r\n", "*-5\r\n",  // negative lengths other than null
        ":12a\r\n", ":\r\n", ":99999999999999999999999\r\n",  // not an Int64
        "$3\r\nabcd\r\n",  // bulk string longer than said
        "?what\r\n", "%2\r\n",  // unknown (or RESP3) type
        "+OK\rX", "+OK\n", "\r\n",  // broken line ends, empty line
    ])
    func violations(input: String) {
        #expect {
            _ = try Self.parse(input)
        } throws: { error in
            (error as? RedisError)?.kind == .protocolViolation
        }
    }

    @Test func limitsNestingAndLineLength() {
        let deep = String(repeating: "*1\r\n", count: 100) + ":1\r\n"
        #expect(throws: RedisError.self) { try Self.parse(deep) }
        let endless = [UInt8]("+".utf8) + [UInt8](repeating: UInt8(ascii: "a"), count: 70_000)
        #expect(throws: RedisError.self) { try Self.parse([endless]) }
    }

    @Test func encoderWritesBulkStringArrays() {
        var buffer = ByteBuffer()
        RESPEncoder.write(["SET", "ключ", RESPArg(ByteBuffer(bytes: [0, 13, 10])), RESPArg(-5)], into: &buffer)
        #expect(String(buffer: buffer) == "*4\r\n$3\r\nSET\r\n$8\r\nключ\r\n$3\r\n\u{0}\r\n\r\n$2\r\n-5\r\n")
    }
}
