/// Splits CSV text into records of fields: `;` or `,` between fields, `"` around fields that hold
/// either (doubled inside), records on lines (`\n` or `\r\n`; a quoted field may span lines).
enum CSVReader {
    struct Record {
        /// The line the record starts on, from 1.
        var line: Int
        var fields: [String]
    }

    /// The delimiter a header line uses: whichever of `;` and `,` it has more of outside quotes (`;` on a tie).
    static func delimiter(of text: String) -> Character {
        var semicolons = 0
        var commas = 0
        var quoted = false
        for character in text {
            if character == "\n" && !quoted { break }
            switch character {
            case "\"": quoted.toggle()
            case ";" where !quoted: semicolons += 1
            case "," where !quoted: commas += 1
            default: break
            }
        }
        return commas > semicolons ? "," : ";"
    }

    /// The records, empty lines left out; a quote that is never closed is an error naming its line.
    static func records(_ text: String, delimiter: Character) throws(StartList.Error) -> [Record] {
        var records: [Record] = []
        var fields: [String] = []
        var field = ""
        var line = 1
        var recordLine = 1
        var quoted = false
        var quoteLine = 1
        var afterQuote = false
        var characters = text.makeIterator()
        var pending: Character? = nil
        func endRecord() {
            fields.append(field)
            field = ""
            if !(fields.count == 1 && fields[0].trimmingSpaces.isEmpty) { records.append(Record(line: recordLine, fields: fields)) }
            fields = []
        }
        while let character = pending ?? characters.next() {
            pending = nil
            if quoted {
                if character == "\"" {
                    let next = characters.next()
                    if next == "\"" {
                        field.append("\"")
                    } else {
                        quoted = false
                        afterQuote = true
                        pending = next
                    }
                } else {
                    if character == "\n" || character == "\r\n" { line += 1 }
                    field.append(character)
                }
                continue
            }
            switch character {
            case "\"" where field.trimmingSpaces.isEmpty && !afterQuote:
                field = ""
                quoted = true
                quoteLine = line
            case delimiter:
                fields.append(field)
                field = ""
                afterQuote = false
            case "\n", "\r\n", "\r":
                endRecord()
                afterQuote = false
                line += 1
                recordLine = line
            default:
                if afterQuote && character != " " {
                    throw StartList.Error(line: line, message: "text after a quoted field's closing quote")
                }
                if !afterQuote { field.append(character) }
            }
        }
        if quoted { throw StartList.Error(line: quoteLine, message: "a quoted field is never closed") }
        if !field.isEmpty || !fields.isEmpty { endRecord() }
        return records
    }
}

extension String {
    var trimmingSpaces: Substring {
        let start = self.firstIndex { $0 != " " && $0 != "\t" } ?? self.endIndex
        let end = self.lastIndex { $0 != " " && $0 != "\t" }.map { self.index(after: $0) } ?? start
        return self[start..<max(start, end)]
    }
}
