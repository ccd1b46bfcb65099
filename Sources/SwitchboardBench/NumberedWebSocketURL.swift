import Foundation
import NIOCore

/// A WebSocket URL in which `{n}` stands for the connection's number, so that
/// each connection of a run can use its own topic (`ws://…/ws/pub/bench/in/{n}`).
struct NumberedWebSocketURL: Sendable, CustomStringConvertible {
    static let placeholder = "{n}"

    let template: String
    /// The URL itself when it has no placeholder: then one connector serves all.
    private let fixed: WebSocketURL?

    init(_ template: String) throws {
        self.template = template
        // Checks the template's syntax once, with a number in place of the placeholder.
        let sample = try WebSocketURL(template.replacingOccurrences(of: Self.placeholder, with: "0"))
        fixed = template.contains(Self.placeholder) ? nil : sample
    }

    /// The URL of connection `number`.
    func url(_ number: Int) throws -> WebSocketURL {
        try fixed ?? WebSocketURL(template.replacingOccurrences(of: Self.placeholder, with: String(number)))
    }

    /// A connector for connection `number`, or `shared` when the URL is the same for all.
    func connector(_ number: Int, shared: WebSocketConnector?, sourceAddresses: Int, timeout: TimeAmount, maxFrameSize: Int) throws -> WebSocketConnector {
        if let shared { return shared }
        return try WebSocketConnector(url: url(number), sourceAddresses: sourceAddresses, timeout: timeout, maxFrameSize: maxFrameSize)
    }

    /// The connector all connections share, if the URL has no placeholder.
    func sharedConnector(sourceAddresses: Int, timeout: TimeAmount, maxFrameSize: Int) throws -> WebSocketConnector? {
        try fixed.map { try WebSocketConnector(url: $0, sourceAddresses: sourceAddresses, timeout: timeout, maxFrameSize: maxFrameSize) }
    }

    var description: String { template }
}
