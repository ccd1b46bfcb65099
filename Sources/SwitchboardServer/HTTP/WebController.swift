import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import SwitchboardCore
import SwitchboardWeb

/// The web pages: `/` (the dashboard), `/overlay/<topic>` (a transparent page
/// for a livestream overlay) and their `/assets/…`, served from the files
/// compiled into the binary.
///
/// Every answer carries an `ETag` and `Cache-Control: no-cache`: a browser
/// revalidates (a 304 costs one round trip) and so never runs pages older than the hub.
struct WebController {
    let pages: WebPages

    func addRoutes(to router: Router<SwitchboardRequestContext>) {
        router.get("/") { request, _ in try self.serve("index.html", request) }
        router.get("/overlay/**") { request, _ in try self.serve("overlay.html", request) }
        router.get("/assets/**") { request, _ in
            let path = request.uri.path.dropFirst(1)  // "assets/…"
            return try self.serve(String(path), request)
        }
    }

    func serve(_ path: String, _ request: Request) throws -> Response {
        guard let file = self.pages.file(path) else { throw HubError.notFound("no page at \(request.uri.path)") }
        var headers: HTTPFields = [
            .eTag: file.etag,
            .cacheControl: "no-cache",
            .init("X-Content-Type-Options")!: "nosniff",
        ]
        if request.headers[.ifNoneMatch]?.split(separator: ",").contains(where: { $0.trimmingCharacters(in: .whitespaces) == file.etag }) == true {
            return Response(status: .notModified, headers: headers)
        }
        headers[.contentType] = file.contentType
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: file.bytes)))
    }
}
