import Logging
import ServiceLifecycle
import UnixSignals

/// Re-reads the TLS certificate and key on SIGHUP.
struct TLSReloader: Service {
    let certificates: TLSCertificates
    let logger: Logger

    func run() async throws {
        let signals = await UnixSignalsSequence(trapping: .sighup)
        await cancelWhenGracefulShutdown {
            for await _ in signals {
                do {
                    try self.certificates.reload()
                    self.logger.info("TLS certificate reloaded", metadata: ["certificate": "\(self.certificates.certificatePath)"])
                } catch {
                    self.logger.error("TLS reload failed; keeping the old certificate", metadata: ["error.type": "\(error)"])
                }
            }
        }
    }
}
