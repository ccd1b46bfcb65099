import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Plain HTTP requests for tests (URLSession over a real socket).
enum TestHTTP {
    struct Response {
        let status: Int
        let body: Data
        let headers: [String: String]

        var text: String { String(decoding: self.body, as: UTF8.self) }
        var json: [String: Any] { (try? JSONSerialization.jsonObject(with: self.body)) as? [String: Any] ?? [:] }
        var errorCode: String? { (self.json["error"] as? [String: Any])?["code"] as? String }
    }

    /// No cookie jar: cookies go only where a test sends them itself (a shared jar would mix log-ins).
    static let session: URLSession = {
        let configuration = URLSessionConfiguration.ephemeral
        configuration.httpCookieStorage = nil
        configuration.httpShouldSetCookies = false
        configuration.httpCookieAcceptPolicy = .never
        return URLSession(configuration: configuration)
    }()

    static func request(
        _ method: String, _ url: String, body: String? = nil, contentType: String? = "application/json", accept: String? = nil,
        headers: [String: String] = [:]
    ) async throws -> Response {
        var request = URLRequest(url: URL(string: url)!)
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        request.httpMethod = method
        if let body { request.httpBody = Data(body.utf8) }
        if let contentType, body != nil { request.setValue(contentType, forHTTPHeaderField: "Content-Type") }
        if let accept { request.setValue(accept, forHTTPHeaderField: "Accept") }
        let (data, response) = try await Self.session.data(for: request)
        let http = response as! HTTPURLResponse
        var headers: [String: String] = [:]
        for (key, value) in http.allHeaderFields { headers["\(key)".lowercased()] = "\(value)" }
        return Response(status: http.statusCode, body: data, headers: headers)
    }

    static func get(_ url: String, accept: String? = nil) async throws -> Response {
        try await self.request("GET", url, accept: accept)
    }

    static func post(_ url: String, _ body: String, contentType: String? = "application/json") async throws -> Response {
        try await self.request("POST", url, body: body, contentType: contentType)
    }
}
