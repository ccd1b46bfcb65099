import Foundation

/// The dashboard's and overlay's files (HTML, CSS, JavaScript modules), compiled
/// into the binary by the `EmbedWebPages` build plugin from `Web/`.
///
/// `SWITCHBOARD_WEB_DIR` makes the hub read them from a directory on every
/// request instead, so that editing a page needs a reload, not a rebuild:
///
/// ```sh
/// SWITCHBOARD_WEB_DIR=Sources/SwitchboardWeb/Web swift run switchboard serve --demo
/// ```
public struct WebPages: Sendable {
    /// One file ready to serve.
    public struct File: Sendable {
        public let bytes: [UInt8]
        public let contentType: String
        /// A strong validator of the bytes, quoted as HTTP wants it.
        public let etag: String
    }

    private let directory: String?
    private let files: [String: File]

    /// The embedded files, or those under `directory` when one is given.
    public init(directory: String? = ProcessInfo.processInfo.environment["SWITCHBOARD_WEB_DIR"]) {
        self.directory = directory.flatMap { $0.isEmpty ? nil : $0 }
        self.files = self.directory == nil ? Self.decoded : [:]
    }

    /// The file at `path` (relative, `/`-separated, e.g. `assets/js/chart.js`), if there is one.
    public func file(_ path: String) -> File? {
        guard let directory else { return self.files[path] }
        // Only plain relative paths: nothing may climb out of the directory.
        let segments = path.split(separator: "/", omittingEmptySubsequences: false)
        guard !segments.isEmpty, segments.allSatisfy({ !$0.isEmpty && !$0.hasPrefix(".") }) else { return nil }
        guard let data = FileManager.default.contents(atPath: directory + "/" + path) else { return nil }
        return Self.file(path, [UInt8](data))
    }

    private static let decoded: [String: File] = {
        var files: [String: File] = [:]
        for (path, base64) in Self.embedded {
            guard let data = Data(base64Encoded: base64) else { continue }
            files[path] = Self.file(path, [UInt8](data))
        }
        return files
    }()

    static func file(_ path: String, _ bytes: [UInt8]) -> File {
        File(bytes: bytes, contentType: Self.contentType(path), etag: "\"\(Self.hash(bytes))\"")
    }

    static func contentType(_ path: String) -> String {
        switch path.split(separator: ".").last.map({ $0.lowercased() }) {
        case "html": "text/html; charset=utf-8"
        case "js", "mjs": "text/javascript; charset=utf-8"
        case "css": "text/css; charset=utf-8"
        case "svg": "image/svg+xml"
        case "png": "image/png"
        case "json": "application/json"
        default: "application/octet-stream"
        }
    }

    /// FNV-1a, 64 bits: enough to tell versions of a file apart.
    static func hash(_ bytes: [UInt8]) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes {
            hash ^= UInt64(byte)
            hash &*= 0x100_0000_01b3
        }
        return String(hash, radix: 16)
    }
}
