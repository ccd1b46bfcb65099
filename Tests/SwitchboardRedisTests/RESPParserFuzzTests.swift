import NIOCore
import SwitchboardTestServices
import Testing

@testable import SwitchboardRedis

/// Seeded property tests over the parser, the same checks as the libFuzzer harness
/// (Tests/Fuzz/RESPParserFuzz.swift) without libFuzzer.
@Suite struct RESPParserFuzzTests {
    static func randomValue(_ random: inout SeededRNG, depth: Int = 0) -> RESPValue {
        switch Int.random(in: 0..<(depth < 3 ? 7 : 5), using: &random) {
        case 0: return .simpleString(String((0..<Int.random(in: 0..<20, using: &random)).map { _ in Character(Unicode.Scalar(UInt8.random(in: 32...126, using: &random))) }))
        case 1: return .error("ERR \(UInt32.random(in: 0...UInt32.max, using: &random))")
        case 2: return .integer(Int64.random(in: Int64.min...Int64.max, using: &random))
        case 3: return .bulkString(ByteBuffer(bytes: (0..<Int.random(in: 0..<300, using: &random)).map { _ in UInt8.random(in: 0...255, using: &random) }))
        case 4: return Bool.random(using: &random) ? .bulkString(nil) : .array(nil)
        default: return .array((0..<Int.random(in: 0..<6, using: &random)).map { _ in self.randomValue(&random, depth: depth + 1) })
        }
    }

    static func cut(_ bytes: [UInt8], _ random: inout SeededRNG) -> [[UInt8]] {
        var chunks: [[UInt8]] = []
        var offset = 0
        while offset < bytes.count {
            let end = min(bytes.count, offset + Int.random(in: 1...40, using: &random))
            chunks.append(Array(bytes[offset..<end]))
            offset = end
        }
        return chunks
    }

    @Test func valuesRoundTripThroughAnyReads() throws {
        var random = SeededRNG(seed: 0x5EED)
        for round in 0..<300 {
            let values = (0..<Int.random(in: 1...5, using: &random)).map { _ in Self.randomValue(&random) }
            var buffer = ByteBuffer()
            for value in values { value.write(to: &buffer) }
            let bytes = Array(buffer.readableBytesView)
            let parsed = try RESPParserTests.parse(Self.cut(bytes, &random))
            #expect(parsed.values == values && parsed.leftover == 0, "round \(round)")
            // Truncated: a prefix of the values, the rest kept for later, never an error.
            let truncated = try RESPParserTests.parse([Array(bytes.prefix(Int.random(in: 0..<bytes.count, using: &random)))])
            #expect(values.starts(with: truncated.values), "round \(round)")
        }
    }

    @Test func garbageOnlyEverFailsAsAProtocolViolation() {
        var random = SeededRNG(seed: 0xBAD)
        var sample = ByteBuffer()
        for _ in 0..<20 { Self.randomValue(&random).write(to: &sample) }
        let valid = Array(sample.readableBytesView)
        for round in 0..<2_000 {
            var bytes: [UInt8]
            if round % 2 == 0 {
                // Valid replies with a few bytes flipped, dropped or inserted.
                bytes = Array(valid.prefix(Int.random(in: 1...valid.count, using: &random)))
                for _ in 0..<Int.random(in: 1...4, using: &random) {
                    let index = Int.random(in: 0..<bytes.count, using: &random)
                    switch Int.random(in: 0..<3, using: &random) {
                    case 0: bytes[index] = UInt8.random(in: 0...255, using: &random)
                    case 1: bytes.remove(at: index)
                    default: bytes.insert(Array("$*:+-\r\n0123456789".utf8).randomElement(using: &random)!, at: index)
                    }
                    if bytes.isEmpty { bytes = [0] }
                }
            } else {
                bytes = (0..<Int.random(in: 0..<200, using: &random)).map { _ in Array("$*:+-\r\n0123456789ab".utf8).randomElement(using: &random)! }
            }
            let whole = Result { try RESPParserTests.parse([bytes]) }
            let pieces = Result { try RESPParserTests.parse(Self.cut(bytes, &random)) }
            for result in [whole, pieces] {
                if case .failure(let error) = result {
                    #expect((error as? RedisError)?.kind == .protocolViolation, "round \(round): \(error)")
                }
            }
            // However the bytes arrive, the outcome is the same.
            switch (whole, pieces) {
            case (.success(let a), .success(let b)): #expect(a.values == b.values, "round \(round)")
            case (.failure, .failure): break
            default: Issue.record("round \(round): whole and cut input disagree")
            }
        }
    }
}
