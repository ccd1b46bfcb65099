import Logging
import Foundation
import Hummingbird
import SwitchboardCore

/// Reading a topic written with its slashes in a URL path (`/api/v1/publish/lab/temp`).
enum RequestTopic {
    /// The path segments after `prefix` segments, percent-decoded.
    static func tail(_ request: Request, dropping prefix: Int) -> [String] {
        let segments = request.uri.path.split(separator: "/", omittingEmptySubsequences: false).dropFirst()  // leading ""
        return segments.dropFirst(prefix).map { String($0).removingPercentEncoding ?? String($0) }
    }

    static func topic(_ segments: some Collection<String>, allowSystem: Bool = false) throws(HubError) -> Topic {
        try Topic(validating: segments.joined(separator: "/"), allowSystem: allowSystem)
    }
}
