public import NIOCore

/// One MQTT 3.1.1 control packet (OASIS standard, 2014, §3), in either direction.
///
/// Decode with ``PacketDecoder``; encode with ``Packet/write(to:)``.
public enum Packet: Sendable, Equatable {
    case connect(Connect)
    case connack(ConnAck)
    case publish(Publish)
    case puback(packetID: UInt16)
    case pubrec(packetID: UInt16)
    case pubrel(packetID: UInt16)
    case pubcomp(packetID: UInt16)
    case subscribe(Subscribe)
    case suback(SubAck)
    case unsubscribe(Unsubscribe)
    case unsuback(packetID: UInt16)
    case pingreq
    case pingresp
    case disconnect

    /// Control packet types, the high nibble of the first byte (§2.2.1).
    public enum Kind: UInt8, Sendable {
        case connect = 1, connack, publish, puback, pubrec, pubrel, pubcomp, subscribe, suback, unsubscribe, unsuback, pingreq, pingresp, disconnect
    }

    public var kind: Kind {
        switch self {
        case .connect: .connect
        case .connack: .connack
        case .publish: .publish
        case .puback: .puback
        case .pubrec: .pubrec
        case .pubrel: .pubrel
        case .pubcomp: .pubcomp
        case .subscribe: .subscribe
        case .suback: .suback
        case .unsubscribe: .unsubscribe
        case .unsuback: .unsuback
        case .pingreq: .pingreq
        case .pingresp: .pingresp
        case .disconnect: .disconnect
        }
    }
}

/// CONNECT (§3.1): the first packet a client sends.
public struct Connect: Sendable, Equatable {
    public var version: ProtocolVersion
    /// May be empty: with ``cleanSession`` the server assigns one (§3.1.3.1).
    public var clientID: String
    public var cleanSession: Bool
    /// Seconds; 0 turns the keep-alive off.
    public var keepAlive: UInt16
    public var will: Will?
    public var username: String?
    /// Binary data (§3.1.3.5), often a token.
    public var password: [UInt8]?

    public init(
        version: ProtocolVersion = .v3_1_1, clientID: String, cleanSession: Bool = true, keepAlive: UInt16 = 60, will: Will? = nil,
        username: String? = nil, password: [UInt8]? = nil
    ) {
        self.version = version
        self.clientID = clientID
        self.cleanSession = cleanSession
        self.keepAlive = keepAlive
        self.will = will
        self.username = username
        self.password = password
    }

    /// The message the server publishes when the connection ends without DISCONNECT (§3.1.2.5).
    public struct Will: Sendable, Equatable {
        public var topic: String
        public var payload: ByteBuffer
        public var qos: QoS
        public var retain: Bool

        public init(topic: String, payload: ByteBuffer, qos: QoS = .atMostOnce, retain: Bool = false) {
            self.topic = topic
            self.payload = payload
            self.qos = qos
            self.retain = retain
        }
    }
}

/// CONNACK (§3.2).
public struct ConnAck: Sendable, Equatable {
    public var sessionPresent: Bool
    public var returnCode: ReturnCode

    public init(sessionPresent: Bool, returnCode: ReturnCode) {
        self.sessionPresent = sessionPresent
        self.returnCode = returnCode
    }

    /// §3.2.2.3, Table 3.1.
    public enum ReturnCode: UInt8, Sendable {
        case accepted = 0
        case unacceptableProtocolVersion = 1
        case identifierRejected = 2
        case serverUnavailable = 3
        case badUsernameOrPassword = 4
        case notAuthorized = 5
    }
}

/// PUBLISH (§3.3).
public struct Publish: Sendable, Equatable {
    public var topic: String
    /// Present exactly when ``qos`` is above 0.
    public var packetID: UInt16?
    public var qos: QoS
    public var retain: Bool
    public var dup: Bool
    public var payload: ByteBuffer

    public init(topic: String, payload: ByteBuffer, qos: QoS = .atMostOnce, packetID: UInt16? = nil, retain: Bool = false, dup: Bool = false) {
        self.topic = topic
        self.payload = payload
        self.qos = qos
        self.packetID = packetID
        self.retain = retain
        self.dup = dup
    }
}

/// SUBSCRIBE (§3.8): topic filters with the maximum QoS asked for each.
public struct Subscribe: Sendable, Equatable {
    public var packetID: UInt16
    public var filters: [Filter]

    public struct Filter: Sendable, Equatable {
        public var filter: String
        public var qos: QoS

        public init(_ filter: String, qos: QoS) {
            self.filter = filter
            self.qos = qos
        }
    }

    public init(packetID: UInt16, filters: [Filter]) {
        self.packetID = packetID
        self.filters = filters
    }
}

/// SUBACK (§3.9): per filter the granted QoS, or failure (0x80).
public struct SubAck: Sendable, Equatable {
    public var packetID: UInt16
    /// Granted QoS (0, 1, 2) or `nil` for failure.
    public var results: [QoS?]

    public init(packetID: UInt16, results: [QoS?]) {
        self.packetID = packetID
        self.results = results
    }
}

/// UNSUBSCRIBE (§3.10).
public struct Unsubscribe: Sendable, Equatable {
    public var packetID: UInt16
    public var filters: [String]

    public init(packetID: UInt16, filters: [String]) {
        self.packetID = packetID
        self.filters = filters
    }
}
