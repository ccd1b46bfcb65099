import NIOCore
import PostgresNIO

/// One column of a batch as a PostgreSQL binary array (`int8[]`, `text[]` or `bytea[]`), written
/// element by element straight into the bytes sent to the server.
///
/// The hot path of a commit: a 1000-message batch is six such arrays. postgres-nio's `[T]`
/// encoding wants a Swift array per column first and costs several generic calls per element;
/// writing the wire format here takes one pass, and lets `text[]` hold NULLs (a missing `from`).
struct ArrayColumn: PostgresDynamicTypeEncodable {
    private let elementType: PostgresDataType
    let psqlType: PostgresDataType
    var psqlFormat: PostgresFormat { .binary }
    private var elements = ByteBuffer()
    private(set) var count = 0
    private var hasNulls = false

    static func int8() -> ArrayColumn { ArrayColumn(elementType: .int8, arrayType: .int8Array) }
    static func text() -> ArrayColumn { ArrayColumn(elementType: .text, arrayType: .textArray) }
    static func bytea() -> ArrayColumn { ArrayColumn(elementType: .bytea, arrayType: .byteaArray) }

    private init(elementType: PostgresDataType, arrayType: PostgresDataType) {
        self.elementType = elementType
        self.psqlType = arrayType
    }

    mutating func reserve(_ elements: Int, bytesEach: Int) {
        self.elements.reserveCapacity(elements * (4 + bytesEach))
    }

    // Each element is its byte count (Int32, -1 for NULL) and its bytes.

    mutating func append(_ value: Int64) {
        self.elements.writeInteger(Int32(8))
        self.elements.writeInteger(value)
        self.count += 1
    }

    mutating func append(_ value: String?) {
        self.count += 1
        guard let value else {
            self.elements.writeInteger(Int32(-1))
            self.hasNulls = true
            return
        }
        let lengthAt = self.elements.writerIndex
        self.elements.writeInteger(Int32(0))
        let length = self.elements.writeString(value)
        self.elements.setInteger(Int32(length), at: lengthAt)
    }

    mutating func append(_ value: ByteBuffer) {
        self.elements.writeInteger(Int32(value.readableBytes))
        self.elements.writeImmutableBuffer(value)
        self.count += 1
    }

    /// The array header (dimensions, NULL flag, element type, length, lower bound), then the elements.
    func encode<JSONEncoder: PostgresJSONEncoder>(into buffer: inout ByteBuffer, context: PostgresEncodingContext<JSONEncoder>) {
        guard self.count > 0 else {
            // An empty array has no dimensions.
            buffer.writeMultipleIntegers(Int32(0), Int32(0), self.elementType.rawValue)
            return
        }
        buffer.writeMultipleIntegers(Int32(1), Int32(self.hasNulls ? 1 : 0), self.elementType.rawValue, Int32(self.count), Int32(1))
        buffer.writeImmutableBuffer(self.elements)
    }
}
