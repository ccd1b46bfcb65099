public import NIOCore

/// One argument of a command; every argument goes to Redis as a bulk string.
public struct RESPArg: Sendable, ExpressibleByStringLiteral, ExpressibleByIntegerLiteral {
    enum Storage: Sendable {
        case string(String)
        case bytes(ByteBuffer)
        case int(Int64)
    }

    let storage: Storage

    public init(_ string: String) { self.storage = .string(string) }
    public init(_ bytes: ByteBuffer) { self.storage = .bytes(bytes) }
    public init(_ int: Int64) { self.storage = .int(int) }
    public init(_ int: Int) { self.storage = .int(Int64(int)) }
    public init(stringLiteral value: String) { self.storage = .string(value) }
    public init(integerLiteral value: Int64) { self.storage = .int(value) }
}
