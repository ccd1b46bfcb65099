public import NIOCore

extension RESPValue {
    /// Writes this value as Redis would send it: for tests, fake servers and the fuzz harness's round trip.
    public func write(to buffer: inout ByteBuffer) {
        switch self {
        case .simpleString(let string):
            buffer.writeStaticString("+")
            buffer.writeString(string)
        case .error(let message):
            buffer.writeStaticString("-")
            buffer.writeString(message)
        case .integer(let value):
            buffer.writeStaticString(":")
            buffer.writeString(String(value))
        case .bulkString(nil):
            buffer.writeStaticString("$-1")
        case .bulkString(var bytes?):
            buffer.writeStaticString("$")
            buffer.writeString(String(bytes.readableBytes))
            buffer.writeStaticString("\r\n")
            buffer.writeBuffer(&bytes)
        case .array(nil):
            buffer.writeStaticString("*-1")
        case .array(let values?):
            buffer.writeStaticString("*")
            buffer.writeString(String(values.count))
            buffer.writeStaticString("\r\n")
            for value in values { value.write(to: &buffer) }
            return  // each element wrote its own CRLF
        }
        buffer.writeStaticString("\r\n")
    }
}
