// libFuzzer harness for SwitchboardCore's JSONParser. Not part of `swift test`: see README.md.
//
// It is compiled together with JSONParser.swift, JSONValue.swift and HubError.swift (so the parser
// is coverage-instrumented) and linked against the NIOCore that SwiftPM built.
import NIOCore

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzJSONParser(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let buffer = ByteBuffer(bytes: UnsafeBufferPointer(start: data, count: size))

    var parsed: JSONValue? = nil
    do throws(HubError) {
        parsed = try JSONParser.parse(buffer)
    } catch {
        precondition(error.code == "bad_json", "parse threw \(error)")
    }

    var valid = true
    do throws(HubError) {
        try JSONParser.validate(buffer)
    } catch {
        precondition(error.code == "bad_json", "validate threw \(error)")
        valid = false
    }
    precondition(valid == (parsed != nil), "parse and validate disagree")

    var object: JSONParser.Object? = nil
    do throws(HubError) {
        object = try JSONParser.parseObject(buffer, rawKeys: ["data", "a"])
    } catch {
        precondition(error.code == "bad_json", "parseObject threw \(error)")
    }

    guard let value = parsed else {
        precondition(object == nil, "parseObject accepts what parse rejects")
        return 0
    }
    if case .object(let members) = value {
        guard let object else { preconditionFailure("parseObject rejects an object") }
        let plain = members.filter { $0.0 != "data" && $0.0 != "a" }
        precondition(object.fields == .object(plain), "parseObject fields differ")
        for key in ["data", "a"] {
            precondition((object.raw[key] == nil) == (value[key] == nil), "raw member \(key) missing or extra")
            if let raw = object.raw[key] {
                let rawValue = try? JSONParser.parse(raw)
                precondition(rawValue == value[key], "raw member \(key) does not parse to the member's value")
            }
        }
    } else {
        precondition(object == nil, "parseObject accepts a non-object")
    }

    // Re-serialize and re-parse.
    let serialized = value.serialized
    guard let again = try? JSONParser.parse(serialized) else { preconditionFailure("serialized form does not parse: \(serialized)") }
    precondition(again == value, "re-parsed value differs")
    precondition(again.serialized == serialized, "re-serialization differs")
    return 0
}
