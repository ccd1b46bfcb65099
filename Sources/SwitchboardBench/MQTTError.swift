/// Why an MQTT connection of a run could not be opened.
enum MQTTError: Error, CustomStringConvertible {
    /// CONNACK with a non-zero return code (§3.2.2.3).
    case connectionRefused(returnCode: UInt8)
    /// SUBACK with the failure code 0x80 (§3.9.3).
    case subscriptionRefused(topic: String)
    case protocolViolation(String)
    case closedDuringHandshake(String)
    case wildcardPublishTopic(String)

    var description: String {
        switch self {
        case .connectionRefused(let code):
            "server refused the MQTT connection: CONNACK return code \(code) (\(Self.meaning(of: code)))"
        case .subscriptionRefused(let topic): "server refused the subscription to \(topic) (SUBACK 0x80)"
        case .protocolViolation(let what): "MQTT protocol violation: \(what)"
        case .closedDuringHandshake(let step): "server closed the connection while \(step)"
        case .wildcardPublishTopic(let topic): "cannot publish to a topic filter with wildcards: \(topic)"
        }
    }

    private static func meaning(of returnCode: UInt8) -> String {
        switch returnCode {
        case 1: "unacceptable protocol version"
        case 2: "identifier rejected; Mosquitto ≥ 2.0.12 also says this for a keep-alive above its max_keepalive"
        case 3: "server unavailable"
        case 4: "bad user name or password"
        case 5: "not authorized"
        default: "reserved"
        }
    }
}
