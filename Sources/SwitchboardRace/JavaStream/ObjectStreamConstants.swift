/// The tags and flags of the Java Object Serialization Stream Protocol, as `java.io.ObjectStreamConstants` names them.
enum ObjectStreamConstants {
    static let magic: [UInt8] = [0xAC, 0xED]
    static let version: [UInt8] = [0x00, 0x05]
    /// The first handle a stream assigns; every new object, string, array, class and class description takes the next.
    static let baseHandle: Int = 0x7E_0000

    static let tcNull: UInt8 = 0x70
    static let tcReference: UInt8 = 0x71
    static let tcClassDesc: UInt8 = 0x72
    static let tcObject: UInt8 = 0x73
    static let tcString: UInt8 = 0x74
    static let tcArray: UInt8 = 0x75
    static let tcClass: UInt8 = 0x76
    static let tcBlockData: UInt8 = 0x77
    static let tcEndBlockData: UInt8 = 0x78
    static let tcReset: UInt8 = 0x79
    static let tcBlockDataLong: UInt8 = 0x7A
    static let tcException: UInt8 = 0x7B
    static let tcLongString: UInt8 = 0x7C
    static let tcProxyClassDesc: UInt8 = 0x7D
    static let tcEnum: UInt8 = 0x7E

    static let scWriteMethod: UInt8 = 0x01
    static let scSerializable: UInt8 = 0x02
    static let scExternalizable: UInt8 = 0x04
    static let scBlockData: UInt8 = 0x08
    static let scEnum: UInt8 = 0x10

    /// The size of a primitive field or array element by its type code (`B C D F I J S Z`), `nil` for objects.
    static func primitiveSize(_ typeCode: UInt8) -> Int? {
        switch typeCode {
        case UInt8(ascii: "B"), UInt8(ascii: "Z"): 1
        case UInt8(ascii: "C"), UInt8(ascii: "S"): 2
        case UInt8(ascii: "I"), UInt8(ascii: "F"): 4
        case UInt8(ascii: "J"), UInt8(ascii: "D"): 8
        default: nil
        }
    }
}
