// libFuzzer harness for the percent decoding of request URIs (URIParts.swift). See README.md.
//
// For every input: no crash; a part without `%` (or `+`, for query parts) comes back unchanged;
// decoding the input with every UTF-8 byte written as `%XX` gives the input back; what `split`
// returns for a path is what `percentDecoded` says (or the raw path when that is nil).

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzURIParts(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    let part = Substring(text)

    let path = URIParts.percentDecoded(part, plusIsSpace: false)
    let query = URIParts.percentDecoded(part, plusIsSpace: true)
    if !text.utf8.contains(UInt8(ascii: "%")) {
        precondition(path == text, "a path without % changed: \(text)")
        if !text.utf8.contains(UInt8(ascii: "+")) { precondition(query == text, "a query part without % or + changed: \(text)") }
    }

    let hex = Array("0123456789ABCDEF".utf8)
    var escaped: [UInt8] = []
    for byte in text.utf8 { escaped += [UInt8(ascii: "%"), hex[Int(byte >> 4)], hex[Int(byte & 15)]] }
    let round = URIParts.percentDecoded(Substring(String(decoding: escaped, as: UTF8.self)), plusIsSpace: true)
    precondition(round == text, "%-escaped \(text) decoded to \(round ?? "nil")")

    if !text.contains("?") {
        precondition(URIParts.split(text).path == (path ?? text), "split disagrees with percentDecoded on \(text)")
    }
    _ = URIParts.split(text).query
    return 0
}
