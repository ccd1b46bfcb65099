import NIOCore

/// The URL of a fan-out run's publisher or subscribers. Its scheme picks the wire
/// protocol: `ws://` WebSocket, `mqtt://` MQTT 3.1.1 over plain TCP.
enum ServerURL: Sendable, CustomStringConvertible {
    case webSocket(WebSocketURL)
    case mqtt(MQTTURL)

    init(_ string: String) throws {
        self = string.hasPrefix("mqtt://") ? .mqtt(try MQTTURL(string)) : .webSocket(try WebSocketURL(string))
    }

    /// The connector for this URL's protocol.
    func endpoint(sourceAddresses: Int, timeout: TimeAmount, maxFrameSize: Int) throws -> any FanoutEndpoint {
        switch self {
        case .webSocket(let url):
            try WebSocketConnector(url: url, sourceAddresses: sourceAddresses, timeout: timeout, maxFrameSize: maxFrameSize)
        case .mqtt(let url):
            try MQTTConnector(url: url, sourceAddresses: sourceAddresses, timeout: timeout, maxPacketSize: maxFrameSize)
        }
    }

    var description: String {
        switch self {
        case .webSocket(let url): url.description
        case .mqtt(let url): url.description
        }
    }
}
