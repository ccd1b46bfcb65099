// libFuzzer harness for the WebSocket upgrade's hand-written head parser (UpgradeRequestHead.swift). See README.md.
//
// For every input: no crash; a head it reads is read the same from exactly its own bytes, every
// shorter prefix of it only waits for more, its target and fields are well-formed, and the head
// written out again reads back equal; waiting for more never happens past the length limit.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzUpgradeRequestHead(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    func read(_ bytes: [UInt8]) -> UpgradeRequestHead.Reading { bytes.withUnsafeBytes { UpgradeRequestHead.read($0) } }

    switch read(bytes) {
    case .other:
        break
    case .incomplete:
        precondition(size <= UpgradeRequestHead.maxLength, "waiting for more past the limit")
    case .head(let head, let length):
        precondition(length <= size && length <= UpgradeRequestHead.maxLength)
        precondition(read(Array(bytes[..<length])) == .head(head, length: length), "its own bytes read differently")
        for end in [0, length / 3, length / 2, length - 1] where end < length {
            precondition(read(Array(bytes[..<end])) == .incomplete, "a prefix of \(end) bytes does not wait")
        }
        precondition(head.uri.hasPrefix("/") && !head.uri.utf8.contains { $0 <= 0x20 || $0 >= 0x7F })
        for field in head.fields {
            precondition(!field.name.isEmpty && field.name == field.name.lowercased())
            precondition(!field.value.utf8.contains { $0 == 13 || $0 == 10 })
            precondition(field.value.trimmingSpacesAndTabs() == field.value[...])
        }
        _ = head.webSocketKey
        let written = "GET \(head.uri) HTTP/1.1\r\n" + head.fields.map { "\($0.name): \($0.value)\r\n" }.joined() + "\r\n"
        guard case .head(let again, _) = read(Array(written.utf8)) else { preconditionFailure("written out, it no longer reads") }
        precondition(again == head, "written out, it reads differently")
    }
    return 0
}
