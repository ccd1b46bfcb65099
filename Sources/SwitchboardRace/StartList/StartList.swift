/// Winlaufen's `Startlist.csv`, joined to the standings on the bib number.
///
/// The header row names the columns; ``Mapping`` says which one holds the bib and which columns
/// each row gets (by default all the others, under their header names). A column named like a
/// field of the stream (`name`, `club`, `class`) fills that field only where the stream left it
/// `null` — a club sent before the decoder joined, for instance.
///
/// ```swift
/// let list = try StartList(csv: bytes, mapping: .init(columns: [("nation", "Nation"), ("club", "Verein")]))
/// let joined = list.join(snapshot)
/// ```
public struct StartList: Sendable {
    /// Which columns to read.
    public struct Mapping: Sendable {
        /// The header of the bib column; `nil` looks for one of ``bibHeaders``.
        public var bibColumn: String?
        /// Output key and header, in output order; `nil` takes every column but the bib under its header name.
        public var columns: [(key: String, header: String)]?

        public static let bibHeaders = ["Startnummer", "Startnr", "Start-Nr", "StNr", "Bib", "Nr"]

        public init(bibColumn: String? = nil, columns: [(key: String, header: String)]? = nil) {
            self.bibColumn = bibColumn
            self.columns = columns
        }
    }

    /// A start list that cannot be read, with the line that says why.
    public struct Error: Swift.Error, Equatable, Sendable, CustomStringConvertible {
        public var line: Int
        public var message: String

        public init(line: Int, message: String) {
            self.line = line
            self.message = message
        }

        public var description: String { "line \(self.line): \(self.message)" }
    }

    /// The output keys, in order.
    public let keys: [String]
    /// Per bib, a value per key.
    public let entries: [String: [String?]]
    /// How the file was read.
    public let encoding: String
    public let delimiter: Character

    /// The fields of the stream a start-list column can fill.
    static let streamFields: Set<String> = ["name", "club", "class"]

    public init(csv bytes: [UInt8], mapping: Mapping = Mapping()) throws(Error) {
        let (text, encoding) = TextDecoding.decode(bytes)
        self.encoding = encoding.rawValue
        self.delimiter = CSVReader.delimiter(of: text)
        let records = try CSVReader.records(text, delimiter: self.delimiter)
        guard let header = records.first else { throw Error(line: 1, message: "the start list is empty: no header row") }
        let headers = header.fields.map { String($0.trimmingSpaces) }
        func index(of name: String) -> Int? {
            headers.firstIndex { $0.caseInsensitiveEquals(name) }
        }
        let bibHeaders = mapping.bibColumn.map { [$0] } ?? Mapping.bibHeaders
        guard let bibIndex = bibHeaders.lazy.compactMap(index(of:)).first else {
            throw Error(
                line: header.line,
                message: "no bib column: the header has \(headers.joined(separator: ", ")), looked for \(bibHeaders.joined(separator: ", "))"
            )
        }
        var selected: [(key: String, index: Int)] = []
        if let columns = mapping.columns {
            for column in columns {
                guard let index = index(of: column.header) else {
                    throw Error(line: header.line, message: "no column '\(column.header)' (for '\(column.key)'); the header has \(headers.joined(separator: ", "))")
                }
                selected.append((column.key, index))
            }
        } else {
            selected = headers.indices.filter { $0 != bibIndex && !headers[$0].isEmpty }.map { (headers[$0], $0) }
        }
        self.keys = selected.map(\.key)
        var entries: [String: [String?]] = [:]
        var lineOfBib: [String: Int] = [:]
        for record in records.dropFirst() {
            var fields = record.fields
            // Exports often end every line with a delimiter: empty fields beyond the header are no error.
            while fields.count > headers.count, fields.last?.trimmingSpaces.isEmpty == true { fields.removeLast() }
            guard fields.count == headers.count else {
                throw Error(line: record.line, message: "\(fields.count) fields, but the header has \(headers.count) (delimiter '\(self.delimiter)')")
            }
            let bib = String(fields[bibIndex].trimmingSpaces)
            guard !bib.isEmpty else { throw Error(line: record.line, message: "no bib in column '\(headers[bibIndex])'") }
            if let earlier = lineOfBib[bib] { throw Error(line: record.line, message: "bib \(bib) is already on line \(earlier)") }
            lineOfBib[bib] = record.line
            entries[bib] = selected.map { column in
                let value = String(fields[column.index].trimmingSpaces)
                return value.isEmpty ? nil : value
            }
        }
        self.entries = entries
    }

    /// The snapshot with this start list's columns added to every row (`null` where the bib is not on the list).
    public func join(_ snapshot: Snapshot) -> Snapshot {
        Snapshot(rows: snapshot.rows.map(self.join))
    }

    public func join(_ row: ResultRow) -> ResultRow {
        var row = row
        let values = row.bib.flatMap { self.entries[$0] } ?? Array(repeating: nil, count: self.keys.count)
        for (key, value) in zip(self.keys, values) {
            switch key {
            case "name": row.name = row.name ?? value
            case "club": row.club = row.club ?? value
            case "class": row.raceClass = row.raceClass ?? value
            case "rank", "bib", "time", "gap": break  // the stream's own
            default: row.columns.append(.init(key: key, value: value))
            }
        }
        return row
    }
}

extension String {
    func caseInsensitiveEquals(_ other: String) -> Bool {
        self.lowercased() == other.lowercased()
    }
}
