import Logging
import Metrics

/// Metrics of the network edge, created once. Dimensions are low-cardinality:
/// a transport or an error code, never a topic or client id.
final class ServerMetrics: Sendable {
    static let shared = ServerMetrics()

    private let webSockets = Gauge(label: "switchboard_websocket_connections")
    private let tcp = Gauge(label: "switchboard_tcp_connections")
    private let mqtt = Gauge(label: "switchboard_mqtt_connections")
    private let counts = NIOLockedCounter()

    func webSocketConnected() { self.webSockets.record(self.counts.add("ws", 1)) }
    func webSocketDisconnected() { self.webSockets.record(self.counts.add("ws", -1)) }
    func tcpConnected() { self.tcp.record(self.counts.add("tcp", 1)) }
    func tcpDisconnected() { self.tcp.record(self.counts.add("tcp", -1)) }
    func mqttConnected() { self.mqtt.record(self.counts.add("mqtt", 1)) }
    func mqttDisconnected() { self.mqtt.record(self.counts.add("mqtt", -1)) }

    func error(code: String, transport: String) {
        Counter(label: "switchboard_errors_total", dimensions: [("code", code), ("transport", transport)]).increment()
        self.errors.add(code, 1)
    }

    /// Errors sent to clients, by code, for `$sys/stats`.
    let errors = NIOLockedCounter()
    /// Open connections by transport (`ws`, `tcp`, `mqtt`).
    var connections: [String: Int] { self.counts.all }
}

import NIOConcurrencyHelpers

/// Named counters behind one lock (gauges need absolute values).
final class NIOLockedCounter: Sendable {
    private let values = NIOLockedValueBox<[String: Int]>([:])

    var all: [String: Int] { self.values.withLockedValue { $0 } }

    @discardableResult
    func add(_ name: String, _ delta: Int) -> Int {
        self.values.withLockedValue { values in
            values[name, default: 0] += delta
            return values[name]!
        }
    }
}
