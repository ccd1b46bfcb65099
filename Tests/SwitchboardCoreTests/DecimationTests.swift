import Foundation
import NIOCore
import SwitchboardCore
import Testing

/// `Decimation.decimate(_:points:)`: at most N points per numeric field, minima and maxima survive (SPEC, history `&points=N`).
@Suite("Decimation")
struct DecimationTests {
    static let topic = try! Topic(validating: "lab/temp")
    static let t0: Int64 = 1_763_712_000_000

    static func message(_ seq: Int, _ json: String, ts: Int64? = nil) -> Message {
        Message(topic: Self.topic, seq: Int64(seq), ts: ts ?? (Self.t0 + Int64(seq) * 1_000), from: nil, data: ByteBuffer(string: json))
    }

    /// 10,000 smooth values with a few spikes, some at the ends.
    static let spikes: [Int: Double] = [1: -500, 1_234: 1_000, 5_678: -1_000, 7_000: 999.5, 10_000: 750]

    static func value(_ seq: Int) -> Double {
        Self.spikes[seq] ?? (sin(Double(seq) / 300) * 10 + Double(seq % 7) / 10)
    }

    static func series(_ count: Int = 10_000, json: (Int, Double) -> String) -> [Message] {
        (1...count).map { seq in Self.message(seq, json(seq, Self.value(seq))) }
    }

    static func count(_ messages: [Message], field: String) -> Int {
        messages.reduce(0) { $0 + (Decimation.numericFields($1)[field] == nil ? 0 : 1) }
    }

    static func checkSubsequence(_ result: [Message], of input: [Message], sourceLocation: SourceLocation = #_sourceLocation) {
        // Results are input messages (same objects), in the input order, without repeats.
        let seqs = result.map(\.seq)
        #expect(seqs == seqs.sorted() && Set(seqs).count == seqs.count, sourceLocation: sourceLocation)
        for message in result {
            #expect(message === input[Int(message.seq) - 1], sourceLocation: sourceLocation)
        }
    }

    /// The two shapes of data: an object with a numeric member `v` (and a non-numeric one), and a bare number (field `""`).
    static let objectSeries = Self.series(json: { _, v in "{\"v\":\(v),\"label\":\"x\"}" })
    static let numberSeries = Self.series(json: { _, v in "\(v)" })

    @Test("the fixture: one global minimum, one global maximum")
    func fixture() {
        let values = (1...10_000).map(Self.value)
        #expect(values.firstIndex(of: values.min()!) == 5_677 && values.lastIndex(of: values.min()!) == 5_677)
        #expect(values.firstIndex(of: values.max()!) == 1_233 && values.lastIndex(of: values.max()!) == 1_233)
        // What the messages carry is what Decimation reads.
        for index in [0, 1_233, 5_677, 9_999] {
            #expect(Decimation.numericFields(Self.objectSeries[index]) == ["v": values[index]])
            #expect(Decimation.numericFields(Self.numberSeries[index]) == ["": values[index]])
        }
    }

    @Test("a 10,000-point series keeps its global min and max and at most N points",
          arguments: [true, false], [2, 101, 9_999])
    func spikySeries(object: Bool, points: Int) {
        let input = object ? Self.objectSeries : Self.numberSeries
        let output = Decimation.decimate(input, points: points)
        // At most N messages, so at most N points of the one field.
        #expect(output.count <= points, "N = \(points): \(output.count) points")
        let kept = Set(output.map(\.seq))
        #expect(kept.contains(5_678), "N = \(points): global minimum lost")
        #expect(kept.contains(1_234), "N = \(points): global maximum lost")
        Self.checkSubsequence(output, of: input)
    }

    @Test("every spike survives when there are enough buckets")
    func everySpike() {
        let output = Decimation.decimate(Self.objectSeries, points: 200)
        #expect(output.count <= 200)
        #expect(Set(output.map(\.seq)).isSuperset(of: Self.spikes.keys.map(Int64.init)))
        // The decimated series spans the same range of values.
        let values = output.compactMap { Decimation.numericFields($0)["v"] }
        #expect(values.min() == -1_000 && values.max() == 1_000)
    }

    @Test("no more messages than points: returned unchanged", arguments: [0, 1, 5, 99, 100])
    func unchanged(count: Int) {
        let input = count == 0 ? [] : Self.series(count, json: { _, v in "{\"v\":\(v),\"w\":\(-v)}" })
        let output = Decimation.decimate(input, points: 100)
        #expect(output.count == input.count)
        #expect(zip(output, input).allSatisfy { $0 === $1 })
    }

    @Test("messages without numbers do not count towards the limit")
    func nonNumeric() {
        // 150 messages, 50 numeric: under the limit of 60 numeric points, so unchanged.
        let input = (1...150).map { seq in Self.message(seq, seq % 3 == 0 ? "{\"v\":\(seq)}" : "{\"s\":\"text\",\"b\":true}") }
        let output = Decimation.decimate(input, points: 60)
        #expect(output.count == 150)
    }

    @Test("numericFields reads numbers and top-level numeric members")
    func numericFields() {
        #expect(Decimation.numericFields(Self.message(1, "21.5")) == ["": 21.5])
        #expect(Decimation.numericFields(Self.message(1, " {\"a\":1,\"b\":\"2\",\"c\":{\"d\":3},\"e\":-2.5e1} ")) == ["a": 1, "e": -25])
        #expect(Decimation.numericFields(Self.message(1, "[1,2]")).isEmpty)
        #expect(Decimation.numericFields(Self.message(1, "\"7\"")).isEmpty)
        #expect(Decimation.numericFields(Self.message(1, "not json")).isEmpty)
    }

    /// Regression (fixed in acb5bed): each field kept its own N points and the union was
    /// returned, so every field ended up with up to (fields × N) points.
    @Test("several fields: at most N points per field, and each field's min and max survive")
    func severalFields() {
        let input = (1...10_000).map { seq -> Message in
            let a = Self.value(seq)
            let b = cos(Double(seq) / 170) * 5 + (seq == 4_321 ? 800 : 0) + (seq == 8_765 ? -800 : 0)
            return Self.message(seq, "{\"a\":\(a),\"b\":\(b)}")
        }
        let points = 100
        let output = Decimation.decimate(input, points: points)
        let kept = Set(output.map(\.seq))
        #expect(kept.isSuperset(of: [5_678, 1_234, 4_321, 8_765]), "a field's minimum or maximum was lost")
        Self.checkSubsequence(output, of: input)
        #expect(Self.count(output, field: "a") <= points, "field a has \(Self.count(output, field: "a")) points, N = \(points)")
        #expect(Self.count(output, field: "b") <= points, "field b has \(Self.count(output, field: "b")) points, N = \(points)")
    }

    /// Regression (fixed in acb5bed): points = 1 made one bucket that kept both its minimum and its maximum.
    @Test("points = 1 returns at most one point")
    func onePoint() {
        let input = Self.series(1_000, json: { _, v in "\(v)" })
        let output = Decimation.decimate(input, points: 1)
        #expect(output.count <= 1, "\(output.count) points for N = 1")
    }

    @Test("irregular timestamps: bursts and gaps still keep min, max and the limit")
    func irregularTimestamps() {
        // Ten bursts of 1,000 messages, each burst within one second, a day apart.
        let input = (1...10_000).map { seq in
            Self.message(seq, "\(Self.value(seq))", ts: Self.t0 + Int64((seq - 1) / 1_000) * 86_400_000 + Int64((seq - 1) % 1_000))
        }
        // (The same values as the fixture: minimum at 5,678, maximum at 1,234.)
        for points in [4, 100] {
            let output = Decimation.decimate(input, points: points)
            #expect(output.count <= points, "N = \(points): \(output.count)")
            let kept = Set(output.map(\.seq))
            #expect(kept.contains(5_678) && kept.contains(1_234), "N = \(points)")
            Self.checkSubsequence(output, of: input)
        }
    }

    /// Regression (fixed in acb5bed): buckets were cut from the first to the *last* message's ts,
    /// assuming ts never decreases in seq order; `ts` is the hub's wall clock, which can step back
    /// (NTP, manual change), and then the result had far more than N points.
    @Test("a clock step back does not break the limit")
    func clockStepBack() {
        // 1,000 messages one second apart; the last one was stamped after the clock went back an hour.
        var input = (1...999).map { seq in Self.message(seq, "\(Self.value(seq))") }
        input.append(Self.message(1_000, "0", ts: Self.t0 + 1_000_000 - 3_600_000))
        for points in [10, 100] {
            let output = Decimation.decimate(input, points: points)
            #expect(output.count <= points, "N = \(points): \(output.count) points")
        }
    }
}
