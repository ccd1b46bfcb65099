public import NIOCore

/// One RESP2 reply from Redis.
public enum RESPValue: Sendable, Equatable {
    case simpleString(String)
    case error(String)
    case integer(Int64)
    /// `nil` is Redis's null bulk string (`$-1`), e.g. GET of a missing key.
    case bulkString(ByteBuffer?)
    /// `nil` is Redis's null array (`*-1`), e.g. a BLPOP that timed out.
    case array([RESPValue]?)

    /// A simple or bulk string as UTF-8.
    public var string: String? {
        switch self {
        case .simpleString(let string): string
        case .bulkString(let buffer?): String(buffer: buffer)
        default: nil
        }
    }

    /// An integer, or a simple or bulk string holding one (Redis returns numbers as strings in many places).
    public var int: Int64? {
        switch self {
        case .integer(let value): value
        case .simpleString, .bulkString: self.string.flatMap { Int64($0) }
        default: nil
        }
    }

    /// The bytes of a bulk string.
    public var buffer: ByteBuffer? {
        if case .bulkString(let buffer?) = self { return buffer }
        return nil
    }

    public var array: [RESPValue]? {
        if case .array(let values?) = self { return values }
        return nil
    }

    /// A null bulk string or a null array.
    public var isNull: Bool {
        switch self {
        case .bulkString(nil), .array(nil): true
        default: false
        }
    }
}
