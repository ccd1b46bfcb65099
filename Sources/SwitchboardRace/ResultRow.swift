/// One line of the standings: what Winlaufen sends as a `String[7]`
/// (rank, bib, name, club, class, time, gap), plus the start list's columns once joined.
///
/// A field is `nil` when the stream did not say it: a back-reference to a string sent
/// before the decoder joined the stream is never guessed.
public struct ResultRow: Equatable, Sendable {
    /// A start-list column joined to the row, in the start list's order.
    public struct Column: Equatable, Sendable {
        public var key: String
        public var value: String?

        public init(key: String, value: String?) {
            self.key = key
            self.value = value
        }
    }

    public var rank: Int
    public var bib: String?
    public var name: String?
    public var club: String?
    public var raceClass: String?
    public var time: String?
    public var gap: String?
    /// Columns from the start list, after the seven of the stream.
    public var columns: [Column] = []

    public init(
        rank: Int,
        bib: String?,
        name: String?,
        club: String?,
        raceClass: String?,
        time: String?,
        gap: String?,
        columns: [Column] = []
    ) {
        self.rank = rank
        self.bib = bib
        self.name = name
        self.club = club
        self.raceClass = raceClass
        self.time = time
        self.gap = gap
        self.columns = columns
    }
}

extension ResultRow {
    /// The row a `String[7]` stands for, or `nil` when it does not look like a result row.
    ///
    /// Found by shape, not by the class around it: the rank is a number (`"3"` or `"3."`), the bib a
    /// number (or an unresolved reference), time and gap are time-shaped (`4:28:07.1`, `+0:02.9`),
    /// empty or unresolved, and at least the bib or one of the times is really there.
    /// `nil` elements are unresolved references; a non-string element rules the array out.
    init?(elements: [String?]) {
        guard elements.count == 7, let rankText = elements[0], let rank = Self.rank(rankText) else { return nil }
        let bib = elements[1]
        if let bib, !Self.isNumber(bib) { return nil }
        let time = elements[5]
        let gap = elements[6]
        for text in [time, gap] {
            if let text, !text.isEmpty, !Self.isTimeShaped(text) { return nil }
        }
        let hasTime = [time, gap].contains { $0.map(Self.isTimeShaped) ?? false }
        guard bib != nil || hasTime else { return nil }
        self.init(rank: rank, bib: bib, name: elements[2], club: elements[3], raceClass: elements[4], time: time, gap: gap)
    }

    static func rank(_ text: String) -> Int? {
        let digits = text.hasSuffix(".") ? String(text.dropLast()) : text
        guard Self.isNumber(digits), digits.utf8.count <= 9 else { return nil }
        return Int(digits)
    }

    static func isNumber(_ text: String) -> Bool {
        !text.isEmpty && text.utf8.count <= 12 && text.utf8.allSatisfy { $0 >= 0x30 && $0 <= 0x39 }
    }

    /// `[+-]` then digit groups separated by `:` (2 or 3 groups), optionally a `.`/`,` fraction.
    static func isTimeShaped(_ text: String) -> Bool {
        var bytes = Substring(text).utf8[...]
        if let sign = bytes.first, sign == UInt8(ascii: "+") || sign == UInt8(ascii: "-") { bytes = bytes.dropFirst() }
        var groups = 0
        var digits = 0
        var fraction = false
        for byte in bytes {
            switch byte {
            case 0x30...0x39: digits += 1
            case UInt8(ascii: ":") where !fraction && digits > 0:
                groups += 1
                digits = 0
            case UInt8(ascii: "."), UInt8(ascii: ","):
                guard !fraction, digits > 0 else { return false }
                fraction = true
                groups += 1
                digits = 0
            default: return false
            }
        }
        guard digits > 0 else { return false }
        let colons = fraction ? groups - 1 : groups
        return colons >= 1 && colons <= 2 && bytes.count <= 16
    }
}
