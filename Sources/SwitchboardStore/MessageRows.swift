import GRDB
import GRDBSQLite
import NIOCore
import SwitchboardCore

/// The hot paths of the store, on the raw SQLite statement: inserting a
/// commit's messages, reading a page of history, and encoding a replay page.
///
/// GRDB's `execute(arguments:)` boxes every value in a `DatabaseValue` array and
/// `data` would go through a `String`; here the integers are bound directly and
/// the message bytes are handed to SQLite straight from (and read straight into)
/// `ByteBuffer`s: about half the cost per message. The statements themselves are
/// still GRDB's cached statements, so GRDB keeps owning their lifetime.
enum MessageRows {
    /// Inserts one message with `INSERT INTO messages (topic_id, seq, ts, sender, data) VALUES (?, ?, ?, ?, ?)`.
    static func insert(_ message: StoredMessage, topicID: Int64, with statement: Statement, in db: Database) throws {
        let raw = statement.sqliteStatement
        sqlite3_reset(raw)
        sqlite3_bind_int64(raw, 1, topicID)
        sqlite3_bind_int64(raw, 2, message.seq)
        sqlite3_bind_int64(raw, 3, message.ts)
        if let from = message.from {
            sqlite3_bind_text(raw, 4, from, -1, transient)
        } else {
            sqlite3_bind_null(raw, 4)
        }
        // Bound without a copy: the bytes stay valid until the step, which happens inside the closure.
        let code = message.data.withUnsafeReadableBytes { bytes in
            if let base = bytes.baseAddress {
                sqlite3_bind_text(raw, 5, base.assumingMemoryBound(to: CChar.self), Int32(bytes.count), nil)
            } else {
                sqlite3_bind_text(raw, 5, "", 0, transient)
            }
            let code = sqlite3_step(raw)
            sqlite3_bind_null(raw, 5)
            return code
        }
        guard code == SQLITE_DONE else { throw error(code, statement: statement, in: db) }
    }

    /// Reads every row of `statement` (`SELECT seq, ts, sender, data …`, already bound) as messages of `topic`,
    /// and whether their seqs ascend.
    ///
    /// All `data` of a page goes into one buffer, and each message's `data` is a slice of it:
    /// one allocation per page instead of one (or two) per row.
    static func read(_ statement: Statement, topic: String, in db: Database) throws -> (rows: [StoredMessage], ascending: Bool) {
        var read: (rows: [(seq: Int64, ts: Int64, from: String?, start: Int, length: Int)], page: ByteBuffer) = ([], ByteBuffer())
        let ascending = try forEach(statement, into: &read, in: db) { row, read in
            read.rows.append((row.seq, row.ts, row.from, read.page.writerIndex, row.data.count))
            read.page.writeBytes(row.data)
        }
        let messages = read.rows.map { row in
            StoredMessage(topic: topic, seq: row.seq, ts: row.ts, from: row.from, data: read.page.getSlice(at: row.start, length: row.length)!)
        }
        return (messages, ascending)
    }

    /// Writes every row of `statement` with `encoding` straight from SQLite's memory, and says whether
    /// their seqs ascend. `expected` rows (when known) are made room for once the first is written.
    static func encode(
        _ statement: Statement, encoding: StoredRowEncoding, expected: Int, in db: Database
    ) throws -> (rows: EncodedRows, ascending: Bool) {
        var encoded = EncodedRows()
        let ascending = try forEach(statement, into: &encoded, in: db) { row, encoded in
            encoded.append(row, encoding: encoding)
            if encoded.count == 1 && expected > 1 {
                encoded.bytes.reserveCapacity(minimumWritableBytes: encoded.bytes.readableBytes * (expected - 1))
            }
        }
        return (encoded, ascending)
    }

    /// Steps through the rows of `statement`, each handed to `body` with its data still in SQLite's
    /// memory; returns whether their seqs ascend. A sender that repeats the row before's is the same
    /// `String`, not a new one per row.
    private static func forEach<State>(
        _ statement: Statement, into state: inout State, in db: Database, _ body: (StoredRow, inout State) throws -> Void
    ) throws -> Bool {
        let raw = statement.sqliteStatement
        var sender: String?
        var previousSeq = Int64.min
        var ascending = true
        while true {
            let code = sqlite3_step(raw)
            if code == SQLITE_DONE { break }
            guard code == SQLITE_ROW else { throw error(code, statement: statement, in: db) }
            var from: String?
            if sqlite3_column_type(raw, 2) != SQLITE_NULL, let text = sqlite3_column_text(raw, 2) {
                let bytes = UnsafeBufferPointer(start: text, count: Int(sqlite3_column_bytes(raw, 2)))
                if sender == nil || !sender!.utf8.elementsEqual(bytes) { sender = String(decoding: bytes, as: UTF8.self) }
                from = sender
            }
            // The pointer first, then the length (SQLite's advice: the text call may convert the value).
            let text = sqlite3_column_text(raw, 3)
            let length = text == nil ? 0 : Int(sqlite3_column_bytes(raw, 3))
            let seq = sqlite3_column_int64(raw, 0)
            if seq <= previousSeq { ascending = false }
            previousSeq = seq
            let row = StoredRow(seq: seq, ts: sqlite3_column_int64(raw, 1), from: from, data: UnsafeRawBufferPointer(start: text, count: length))
            try body(row, &state)
        }
        sqlite3_reset(raw)
        return ascending
    }

    /// SQLite copies bound values given this destructor.
    private static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

    private static func error(_ code: Int32, statement: Statement, in db: Database) -> DatabaseError {
        sqlite3_reset(statement.sqliteStatement)
        return DatabaseError(resultCode: ResultCode(rawValue: code), message: db.lastErrorMessage, sql: statement.sql)
    }
}
