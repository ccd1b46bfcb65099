import GRDB
import GRDBSQLite
import NIOCore
import SwitchboardCore

/// The two hot paths of the store, on the raw SQLite statement: inserting a
/// commit's messages and reading a replay page.
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

    /// Reads every row of `statement` (`SELECT seq, ts, sender, data …`, already bound) as messages of `topic`.
    ///
    /// All `data` of a page goes into one buffer, and each message's `data` is a slice of it:
    /// one allocation per page instead of one (or two) per row.
    static func read(_ statement: Statement, topic: String, in db: Database) throws -> [StoredMessage] {
        let raw = statement.sqliteStatement
        var messages: [StoredMessage] = []
        var rows: [(seq: Int64, ts: Int64, from: String?, start: Int, length: Int)] = []
        var page = ByteBuffer()
        while true {
            let code = sqlite3_step(raw)
            if code == SQLITE_DONE { break }
            guard code == SQLITE_ROW else { throw error(code, statement: statement, in: db) }
            let from = sqlite3_column_type(raw, 2) == SQLITE_NULL ? nil : sqlite3_column_text(raw, 2).map { String(cString: $0) }
            let start = page.writerIndex
            let length = Int(sqlite3_column_bytes(raw, 3))
            if let text = sqlite3_column_text(raw, 3) {
                page.writeBytes(UnsafeRawBufferPointer(start: text, count: length))
            }
            rows.append((sqlite3_column_int64(raw, 0), sqlite3_column_int64(raw, 1), from, start, length))
        }
        sqlite3_reset(raw)
        messages.reserveCapacity(rows.count)
        for row in rows {
            let data = page.getSlice(at: row.start, length: row.length)!
            messages.append(StoredMessage(topic: topic, seq: row.seq, ts: row.ts, from: row.from, data: data))
        }
        return messages
    }

    /// SQLite copies bound values given this destructor.
    private static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

    private static func error(_ code: Int32, statement: Statement, in db: Database) -> DatabaseError {
        sqlite3_reset(statement.sqliteStatement)
        return DatabaseError(resultCode: ResultCode(rawValue: code), message: db.lastErrorMessage, sql: statement.sql)
    }
}
