import NIOCore

/// Writes commands as RESP arrays of bulk strings (`*N\r\n$len\r\n…\r\n`), straight into the buffer of one write.
enum RESPEncoder {
    static func write(_ command: [RESPArg], into buffer: inout ByteBuffer) {
        buffer.writeStaticString("*")
        buffer.writeString(String(command.count))
        buffer.writeStaticString("\r\n")
        for argument in command {
            switch argument.storage {
            case .string(let string):
                self.writeBulk(length: string.utf8.count, into: &buffer)
                buffer.writeString(string)
            case .bytes(let bytes):
                self.writeBulk(length: bytes.readableBytes, into: &buffer)
                buffer.writeImmutableBuffer(bytes)
            case .int(let int):
                let digits = String(int)
                self.writeBulk(length: digits.utf8.count, into: &buffer)
                buffer.writeString(digits)
            }
            buffer.writeStaticString("\r\n")
        }
    }

    /// A rough size for one buffer holding all these commands, so a big pipeline allocates once.
    static func estimatedSize(of commands: [[RESPArg]]) -> Int {
        var size = 0
        for command in commands {
            size += 16
            for argument in command {
                switch argument.storage {
                case .string(let string): size += string.utf8.count + 16
                case .bytes(let bytes): size += bytes.readableBytes + 16
                case .int: size += 36
                }
            }
        }
        return size
    }

    private static func writeBulk(length: Int, into buffer: inout ByteBuffer) {
        buffer.writeStaticString("$")
        buffer.writeString(String(length))
        buffer.writeStaticString("\r\n")
    }
}
