import HummingbirdCore
import Logging
import NIOCore

/// Puts TLS in front of another child channel (HTTP and WebSocket upgrades), like
/// HummingbirdTLS's `TLSChannel`, but with the certificate read at each accept so
/// SIGHUP can swap it.
struct TLSChildChannel<Base: ServerChildChannel>: ServerChildChannel {
    typealias Value = Base.Value
    let base: Base
    let certificates: TLSCertificates

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        channel.eventLoop.makeCompletedFuture {
            try channel.pipeline.syncOperations.addHandler(self.certificates.makeHandler())
        }.flatMap {
            self.base.setup(channel: channel, logger: logger)
        }
    }

    func handle(value: Value, logger: Logger) async {
        await self.base.handle(value: value, logger: logger)
    }
}

extension TLSChildChannel: HTTPChannelHandler where Base: HTTPChannelHandler {
    var responder: HTTPChannelHandler.Responder { self.base.responder }
}
