/// A class description read from the stream (`TC_CLASSDESC` or `TC_PROXYCLASSDESC`): what the
/// decoder needs to know to skip or read an instance's data without the class itself.
final class ClassDescription: Sendable {
    struct Field: Sendable {
        /// `B C D F I J S Z` for primitives, `L` or `[` for objects.
        let typeCode: UInt8
        let name: String
    }

    let name: String
    let flags: UInt8
    let fields: [Field]
    let superclass: ClassDescription?

    /// The superclasses whose data an instance carries before this class's, the topmost first.
    let superclasses: [ClassDescription]

    init(name: String, flags: UInt8, fields: [Field], superclass: ClassDescription?) {
        self.name = name
        self.flags = flags
        self.fields = fields
        self.superclass = superclass
        // Each description's chain is built from its superclass's once, not per instance read.
        self.superclasses = superclass.map { $0.superclasses.count < 64 ? $0.superclasses + [$0] : $0.superclasses } ?? []
    }

    var hasWriteMethod: Bool { self.flags & ObjectStreamConstants.scWriteMethod != 0 }
    var isSerializable: Bool { self.flags & ObjectStreamConstants.scSerializable != 0 }
    var isExternalizable: Bool { self.flags & ObjectStreamConstants.scExternalizable != 0 }
    var hasBlockData: Bool { self.flags & ObjectStreamConstants.scBlockData != 0 }

    /// The classes whose data an instance carries, the topmost superclass first (the order the data is written in).
    var hierarchy: [ClassDescription] { self.superclasses + [self] }

    /// For an array class (`[I`, `[Ljava.lang.String;`): the element type code.
    var arrayElementType: UInt8? {
        let bytes = Array(self.name.utf8.prefix(2))
        guard bytes.count == 2, bytes[0] == UInt8(ascii: "[") else { return nil }
        return bytes[1]
    }
}
