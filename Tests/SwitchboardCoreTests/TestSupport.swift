import NIOCore
import SwitchboardCore
@_exported import SwitchboardTestServices
import Testing

extension Tag {
    /// A test that pins down a bug found in `SwitchboardCore` and not fixed yet: it fails until the
    /// Core code is fixed (look for `CORE BUG` in the sources). Fixed ones say `Regression (fixed in …)`.
    @Tag static var coreBug: Self
    /// Randomised, seeded property tests (reproducible: the seed is in the failure message).
    @Tag static var fuzz: Self
}

/// Runs `body`, which must throw a ``HubError`` with `code`; records an issue otherwise.
func expectHubError(
    _ code: String,
    _ comment: @autoclosure () -> Comment? = nil,
    sourceLocation: SourceLocation = #_sourceLocation,
    _ body: () throws(HubError) -> Void
) {
    do throws(HubError) {
        try body()
        Issue.record("expected a \(code) error, but nothing was thrown. \(comment()?.description ?? "")", sourceLocation: sourceLocation)
    } catch {
        #expect(error.code == code, "\(comment()?.description ?? "") → \(error)", sourceLocation: sourceLocation)
        #expect(error.httpStatus == 400, sourceLocation: sourceLocation)
    }
}

/// The result of a throwing call as a value, so that two calls can be compared.
func outcome<T>(_ body: () throws(HubError) -> T) -> Result<T, HubError> {
    do throws(HubError) { return .success(try body()) } catch { return .failure(error) }
}

extension Result {
    var isSuccess: Bool {
        if case .success = self { return true }
        return false
    }

    var value: Success? {
        if case .success(let value) = self { return value }
        return nil
    }

    var failure: Failure? {
        if case .failure(let error) = self { return error }
        return nil
    }
}

extension ByteBuffer {
    init(bytes: [UInt8]) {
        self.init()
        self.writeBytes(bytes)
    }

    var bytes: [UInt8] { self.getBytes(at: self.readerIndex, length: self.readableBytes) ?? [] }
    var text: String { String(decoding: self.bytes, as: UTF8.self) }
}

/// A readable rendering of bytes for failure messages: printable ASCII as is, the rest as `\xNN`.
func describe(_ bytes: [UInt8]) -> String {
    var out = ""
    for byte in bytes.prefix(300) {
        if byte >= 0x20 && byte < 0x7F && byte != UInt8(ascii: "\\") {
            out.unicodeScalars.append(Unicode.Scalar(byte))
        } else {
            out += "\\x" + (byte < 0x10 ? "0" : "") + String(byte, radix: 16)
        }
    }
    if bytes.count > 300 { out += "… (\(bytes.count) bytes)" }
    return out
}
