/// One standings update: the rows of one result list, in the order they were sent.
public struct Snapshot: Equatable, Sendable {
    public var rows: [ResultRow]

    public init(rows: [ResultRow]) {
        self.rows = rows
    }
}

extension Snapshot {
    /// SPEC's shape: `{"rows":[{"rank":1,"bib":"201","name":…,"club":…,"class":…,"time":…,"gap":…}]}`,
    /// `rank` an integer, the rest strings or `null`, then the start list's columns.
    public var json: String {
        var out = #"{"rows":["#
        for (index, row) in self.rows.enumerated() {
            if index > 0 { out += "," }
            out += #"{"rank":\#(row.rank)"#
            let fields: [(String, String?)] = [
                ("bib", row.bib), ("name", row.name), ("club", row.club), ("class", row.raceClass),
                ("time", row.time), ("gap", row.gap),
            ]
            for (key, value) in fields + row.columns.map({ ($0.key, $0.value) }) {
                out += ","
                JSONText.appendString(key, to: &out)
                out += ":"
                if let value { JSONText.appendString(value, to: &out) } else { out += "null" }
            }
            out += "}"
        }
        out += "]}"
        return out
    }
}

/// The little JSON writing this module needs, so it depends on nothing of the hub's.
enum JSONText {
    static func appendString(_ text: String, to out: inout String) {
        out += "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case let control where control.value < 0x20:
                let hex = String(control.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        out += "\""
    }
}
