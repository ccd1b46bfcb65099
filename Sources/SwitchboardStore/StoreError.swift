#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import GRDB

/// A store failure said in words a person can act on: which file, and what is wrong with it.
/// The SQLite error follows in parentheses.
public struct StoreError: Error, CustomStringConvertible {
    public enum Reason: Sendable, Equatable {
        /// The file exists but is not an SQLite database.
        case notADatabase
        /// The database file (or its directory) cannot be written.
        case readOnly
        /// The file system holding the database is full.
        case diskFull
        /// The database file is damaged.
        case corrupt
        /// Anything else.
        case other
    }

    public let reason: Reason
    public let path: String
    public let description: String
    public let underlying: any Error

    /// Classifies `error`, which opening or writing the database at `path` threw.
    public init(_ error: any Error, path: String, opening: Bool) {
        self.path = path
        self.underlying = error
        let directory = path.split(separator: "/", omittingEmptySubsequences: false).dropLast().joined(separator: "/")
        let code = (error as? DatabaseError)?.resultCode
        let detail = (error as? DatabaseError).map { "SQLite error \($0.extendedResultCode.rawValue): \($0.message ?? "\($0)")" } ?? "\(error)"
        let exists = access(path, F_OK) == 0
        let fileWritable = !exists || access(path, W_OK) == 0
        let directoryWritable = access(directory.isEmpty ? "/" : directory, W_OK) == 0
        let readOnlyCodes: [ResultCode] = [.SQLITE_READONLY, .SQLITE_CANTOPEN, .SQLITE_PERM, .SQLITE_AUTH, .SQLITE_IOERR]
        if code == .SQLITE_NOTADB {
            self.reason = .notADatabase
            self.description = "\(path) is not an SQLite database (a file of another kind, or encrypted); move it away or choose another data directory (\(detail))"
        } else if code == .SQLITE_FULL {
            self.reason = .diskFull
            self.description = "the disk holding \(path) is full; nothing was written (\(detail))"
        } else if code == .SQLITE_CORRUPT {
            self.reason = .corrupt
            self.description = "\(path) is damaged (not a well-formed SQLite database) (\(detail))"
        } else if let code, readOnlyCodes.contains(code), !fileWritable || !directoryWritable {
            self.reason = .readOnly
            if !fileWritable {
                self.description = "\(path) is read-only; the hub must be able to write it (\(detail))"
            } else if exists {
                self.description = "the data directory \(directory) is read-only; the hub must be able to write \(path) and its -wal and -shm files there (\(detail))"
            } else {
                self.description = "the data directory \(directory) is read-only; the hub cannot create \(path) (\(detail))"
            }
        } else {
            self.reason = .other
            self.description = "\(opening ? "cannot open the store" : "the store failed on") \(path): \(detail)"
        }
    }
}
