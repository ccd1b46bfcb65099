/// Reads elements of a Java serialization stream from a byte buffer: the grammar of the
/// Object Serialization Stream Protocol (`ObjectOutputStream`), without the classes themselves.
///
/// A read either completes, or stops with ``ParseStop``: `incomplete` (more bytes needed; the caller
/// rewinds to the element's start and retries later) or `invalid`. Handles are recorded as they are
/// assigned, so the caller rolls the table back to its length before an element that did not complete.
struct ObjectStreamParser: Sendable {
    /// Bounds that keep a corrupt length from making the decoder wait for (or allocate) gigabytes.
    struct Limits: Sendable {
        var maxDepth = 100
        var maxArrayLength = 1_000_000
        var maxDataBytes = 16 << 20
        var maxHandles = 4_000_000

        /// While resynchronising, bytes are only a guess: smaller bounds, so a false start costs little.
        static let guessing = Limits(maxDepth: 40, maxArrayLength: 100_000, maxDataBytes: 1 << 20)
        static let synchronised = Limits()
    }

    var bytes: [UInt8] = []
    var position = 0
    var handles: [StreamValue] = []
    /// False while the handle numbers are unknown (joined mid-stream): then every reference is unresolved.
    var resolvesHandles = false
    var limits = Limits.synchronised
    /// Rows found since the caller last cleared them, in stream order.
    var rows: [ResultRow] = []
    /// Where the last row found ended, so that after a corrupt element the search resumes behind it.
    var lastRowEnd: Int?
    var unresolvedReferences = 0
    private var depth = 0

    // MARK: - Bytes

    mutating func need(_ count: Int) throws(ParseStop) {
        if self.bytes.count - self.position < count { throw .incomplete(needed: self.position + count) }
    }

    mutating func readByte() throws(ParseStop) -> UInt8 {
        try self.need(1)
        defer { self.position += 1 }
        return self.bytes[self.position]
    }

    func peekByte() throws(ParseStop) -> UInt8 {
        guard self.position < self.bytes.count else { throw .incomplete(needed: self.position + 1) }
        return self.bytes[self.position]
    }

    mutating func readUInt16() throws(ParseStop) -> Int {
        try self.need(2)
        defer { self.position += 2 }
        return Int(self.bytes[self.position]) << 8 | Int(self.bytes[self.position + 1])
    }

    /// A Java `int`, as a signed value.
    mutating func readInt32() throws(ParseStop) -> Int {
        try self.need(4)
        defer { self.position += 4 }
        var value: UInt32 = 0
        for offset in 0..<4 { value = value << 8 | UInt32(self.bytes[self.position + offset]) }
        return Int(Int32(bitPattern: value))
    }

    mutating func readInt64() throws(ParseStop) -> Int64 {
        let high = try self.readInt32()
        let low = try self.readInt32()
        return Int64(high) << 32 | Int64(UInt32(truncatingIfNeeded: low))
    }

    mutating func skip(_ count: Int) throws(ParseStop) -> Range<Int> {
        guard count >= 0, count <= self.limits.maxDataBytes else { throw .invalid("a length of \(count) bytes is out of bounds") }
        try self.need(count)
        defer { self.position += count }
        return self.position..<(self.position + count)
    }

    /// `DataInput.readUTF`: a 2-byte length, then modified UTF-8.
    mutating func readUTF() throws(ParseStop) -> String {
        try self.text(in: self.skip(try self.readUInt16()))
    }

    func text(in range: Range<Int>) throws(ParseStop) -> String {
        guard let text = ModifiedUTF8.decode(self.bytes[range]) else { throw .invalid("a string is not modified UTF-8") }
        return text
    }

    // MARK: - Handles

    /// Records the next handle's value; `nil` while handle numbers are unknown.
    mutating func assign(_ value: StreamValue) throws(ParseStop) -> Int? {
        guard self.resolvesHandles else { return nil }
        guard self.handles.count < self.limits.maxHandles else { throw .invalid("more than \(self.limits.maxHandles) handles without a reset") }
        self.handles.append(value)
        return self.handles.count - 1
    }

    mutating func replace(_ index: Int?, with value: StreamValue) {
        if let index { self.handles[index] = value }
    }

    mutating func readReference() throws(ParseStop) -> StreamValue {
        let handle = try self.readInt32() - ObjectStreamConstants.baseHandle
        guard handle >= 0, handle < self.limits.maxHandles else { throw .invalid("a reference to handle \(handle) is out of range") }
        guard self.resolvesHandles else {
            self.unresolvedReferences += 1
            return .unresolved
        }
        guard handle < self.handles.count else { throw .invalid("a reference to handle \(handle), which was never assigned") }
        let value = self.handles[handle]
        if case .rowArray(let row) = value { self.found(row) }
        return value
    }

    mutating func found(_ row: ResultRow) {
        self.rows.append(row)
        self.lastRowEnd = self.position
    }

    // MARK: - Content

    /// One element (an object, string, array, enum, class, class description, null or reference).
    mutating func readContent() throws(ParseStop) -> StreamValue {
        try self.readContent(tag: try self.readByte())
    }

    mutating func readContent(tag: UInt8) throws(ParseStop) -> StreamValue {
        self.depth += 1
        defer { self.depth -= 1 }
        guard self.depth <= self.limits.maxDepth else { throw .invalid("nested deeper than \(self.limits.maxDepth)") }
        switch tag {
        case ObjectStreamConstants.tcNull:
            return .null
        case ObjectStreamConstants.tcReference:
            return try self.readReference()
        case ObjectStreamConstants.tcString:
            let index = try self.assign(.other)
            let value = StreamValue.string(try self.readUTF())
            self.replace(index, with: value)
            return value
        case ObjectStreamConstants.tcLongString:
            let index = try self.assign(.other)
            let length = try self.readInt64()
            guard length >= 0, length <= Int64(self.limits.maxDataBytes) else { throw .invalid("a long string of \(length) bytes") }
            let value = StreamValue.string(try self.text(in: try self.skip(Int(length))))
            self.replace(index, with: value)
            return value
        case ObjectStreamConstants.tcClassDesc, ObjectStreamConstants.tcProxyClassDesc:
            return .classDescription(try self.readNewClassDescription(tag: tag))
        case ObjectStreamConstants.tcClass:
            _ = try self.readClassReference()
            _ = try self.assign(.other)
            return .other
        case ObjectStreamConstants.tcArray:
            return try self.readArray()
        case ObjectStreamConstants.tcEnum:
            return try self.readEnum()
        case ObjectStreamConstants.tcObject:
            return try self.readObject()
        default:
            // TC_EXCEPTION resets the handle table in the middle of an element: treated as a corrupt
            // element, so the decoder resynchronises at the next reset instead of guessing.
            throw .invalid("unexpected tag \(Self.hex(tag))")
        }
    }

    /// Class and object annotations, `writeObject` data, externalizable block data: contents up to `TC_ENDBLOCKDATA`.
    mutating func skipAnnotation() throws(ParseStop) {
        while true {
            let tag = try self.readByte()
            switch tag {
            case ObjectStreamConstants.tcEndBlockData:
                return
            case ObjectStreamConstants.tcBlockData:
                _ = try self.skip(Int(try self.readByte()))
            case ObjectStreamConstants.tcBlockDataLong:
                _ = try self.skip(try self.readInt32())
            default:
                _ = try self.readContent(tag: tag)
            }
        }
    }

    // MARK: - Classes

    mutating func readClassReference() throws(ParseStop) -> ClassReference {
        let tag = try self.readByte()
        switch tag {
        case ObjectStreamConstants.tcNull:
            return .none
        case ObjectStreamConstants.tcClassDesc, ObjectStreamConstants.tcProxyClassDesc:
            return .known(try self.readNewClassDescription(tag: tag))
        case ObjectStreamConstants.tcReference:
            switch try self.readReference() {
            case .classDescription(let description): return .known(description)
            case .unresolved: return .unknown
            default: throw .invalid("a class reference points to something else")
            }
        default:
            throw .invalid("tag \(Self.hex(tag)) where a class description belongs")
        }
    }

    mutating func readNewClassDescription(tag: UInt8) throws(ParseStop) -> ClassDescription {
        let name: String
        let flags: UInt8
        var fields: [ClassDescription.Field] = []
        let index: Int?
        if tag == ObjectStreamConstants.tcClassDesc {
            name = try self.readUTF()
            guard Self.isPlausibleClassName(name) else { throw .invalid("'\(name.prefix(40))' is not a class name") }
            _ = try self.readInt64()  // serialVersionUID
            index = try self.assign(.other)
            flags = try self.readByte()
            let count = try self.readUInt16()
            fields.reserveCapacity(min(count, 256))
            for _ in 0..<count {
                let typeCode = try self.readByte()
                let fieldName = try self.readUTF()
                if ObjectStreamConstants.primitiveSize(typeCode) == nil {
                    guard typeCode == UInt8(ascii: "L") || typeCode == UInt8(ascii: "[") else {
                        throw .invalid("field type code \(Self.hex(typeCode))")
                    }
                    switch try self.readContent() {  // the field's class name, a String object
                    case .string, .unresolved: break
                    default: throw .invalid("a field's class name is not a string")
                    }
                }
                fields.append(.init(typeCode: typeCode, name: fieldName))
            }
        } else {
            index = try self.assign(.other)
            let count = try self.readInt32()
            guard (0...65535).contains(count) else { throw .invalid("a proxy with \(count) interfaces") }
            for _ in 0..<count { _ = try self.readUTF() }
            name = "$Proxy"
            flags = ObjectStreamConstants.scSerializable
        }
        try self.skipAnnotation()
        let superclass: ClassDescription?
        switch try self.readClassReference() {
        case .known(let description): superclass = description
        case .none: superclass = nil
        // Its fields are unknown, so no instance of this class could be read.
        case .unknown: throw .invalid("the superclass of \(name) is behind an unknown handle")
        }
        let description = ClassDescription(name: name, flags: flags, fields: fields, superclass: superclass)
        self.replace(index, with: .classDescription(description))
        return description
    }

    static func hex(_ byte: UInt8) -> String {
        let digits = String(byte, radix: 16, uppercase: true)
        return "0x" + (digits.count < 2 ? "0" : "") + digits
    }

    static func isPlausibleClassName(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.count <= 1024 && name.unicodeScalars.allSatisfy { $0.value > 0x20 && $0 != "\u{7F}" }
    }

    // MARK: - Instances

    mutating func readObject() throws(ParseStop) -> StreamValue {
        guard case .known(let description) = try self.readClassReference() else {
            throw .invalid("an object of a class the decoder does not know")
        }
        _ = try self.assign(.other)
        for type in description.superclasses + CollectionOfOne(description) {
            if type.isExternalizable {
                // Protocol version 1 externalizable data has no length: it cannot be skipped.
                guard type.hasBlockData else { throw .invalid("\(type.name) is externalizable without block data") }
                try self.skipAnnotation()
            } else if type.isSerializable {
                for field in type.fields {
                    if let size = ObjectStreamConstants.primitiveSize(field.typeCode) {
                        _ = try self.skip(size)
                    } else {
                        _ = try self.readContent()
                    }
                }
                if type.hasWriteMethod { try self.skipAnnotation() }
            }
        }
        return .other
    }

    mutating func readEnum() throws(ParseStop) -> StreamValue {
        _ = try self.readClassReference()
        let index = try self.assign(.other)
        switch try self.readContent() {
        case .string, .unresolved: break
        default: throw .invalid("an enum constant's name is not a string")
        }
        self.replace(index, with: .other)
        return .other
    }

    mutating func readArray() throws(ParseStop) -> StreamValue {
        let elementType: UInt8?
        switch try self.readClassReference() {
        case .known(let description):
            guard let type = description.arrayElementType else { throw .invalid("an array of class \(description.name)") }
            elementType = type
        case .none:
            throw .invalid("an array without a class")
        case .unknown:
            elementType = nil
        }
        let index = try self.assign(.other)
        let length = try self.readInt32()
        guard length >= 0, length <= self.limits.maxArrayLength else { throw .invalid("an array of \(length) elements") }
        if let size = elementType.flatMap(ObjectStreamConstants.primitiveSize) {
            _ = try self.skip(length * size)
            return .other
        }
        if elementType == nil, length > 0, !Self.startsContent(try self.peekByte()) {
            // Behind an unknown handle, only an array of objects can be read: its elements carry their tags.
            throw .invalid("an array of an unknown primitive type")
        }
        var elements: [String?]? = length == 7 ? [] : nil
        for _ in 0..<length {
            let value = try self.readContent()
            switch value {
            case .string(let text): elements?.append(text)
            case .unresolved, .null: elements?.append(nil)
            default: elements = nil
            }
        }
        if let elements, let row = ResultRow(elements: elements) {
            self.found(row)
            self.replace(index, with: .rowArray(row))
        }
        return .other
    }

    /// Whether `tag` begins an element of an object array.
    static func startsContent(_ tag: UInt8) -> Bool {
        switch tag {
        case ObjectStreamConstants.tcNull...ObjectStreamConstants.tcClass, ObjectStreamConstants.tcLongString,
            ObjectStreamConstants.tcProxyClassDesc, ObjectStreamConstants.tcEnum:
            true
        default:
            false
        }
    }
}
