/// Quality of service of a PUBLISH or a subscription (MQTT 3.1.1 §4.3).
public enum QoS: UInt8, Sendable, Comparable {
    /// At most once: no acknowledgement.
    case atMostOnce = 0
    /// At least once: PUBLISH → PUBACK.
    case atLeastOnce = 1
    /// Exactly once: PUBLISH → PUBREC → PUBREL → PUBCOMP.
    case exactlyOnce = 2

    public static func < (lhs: QoS, rhs: QoS) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// The protocol level a CONNECT names (§3.1.2.2). Only 3.1.1 is spoken; the
/// decoder takes the level as a parameter so that MQTT 5 (level 5, with
/// properties after each variable header) can be added beside it.
public enum ProtocolVersion: UInt8, Sendable {
    /// MQTT 3.1.1, protocol name "MQTT", level 4.
    case v3_1_1 = 4
}
