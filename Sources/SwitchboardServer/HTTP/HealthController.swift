import Logging
import Hummingbird
import NIOCore
import Prometheus
import SwitchboardCore

/// `GET /healthz` (liveness, no credentials needed) and `GET /metrics` (Prometheus text format).
struct HealthController {
    let hub: Hub
    let registry: ConnectionRegistry
    let prometheus: PrometheusCollectorRegistry

    func addRoutes(to router: Router<SwitchboardRequestContext>) {
        router.get("/healthz") { _, _ in
            JSONResponse.make(
                .object([
                    ("status", .string("ok")),
                    ("version", .string(SwitchboardVersion.current)),
                    ("connections", .int(self.registry.count)),
                    ("topics", .int(self.hub.listTopics().count)),
                ]))
        }
        router.get("/metrics") { _, _ in
            var text: [UInt8] = []
            self.prometheus.emit(into: &text)
            return Response(
                status: .ok,
                headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(bytes: text))
            )
        }
    }
}
