import NIOSSL
import Synchronization

/// The hub's certificate chain and private key, read from PEM files.
///
/// ``reload()`` (on SIGHUP) reads them again: connections opened afterwards use
/// the new certificate, open ones keep theirs — so a renewed certificate
/// (Let's Encrypt every 60 days) needs no restart. A reload that fails keeps the old one.
final class TLSCertificates: Sendable {
    let certificatePath: String
    let keyPath: String
    private let context: Mutex<NIOSSLContext>

    init(certificatePath: String, keyPath: String) throws {
        self.certificatePath = certificatePath
        self.keyPath = keyPath
        self.context = Mutex(try Self.load(certificatePath: certificatePath, keyPath: keyPath))
    }

    /// The context new connections are given.
    var current: NIOSSLContext { self.context.withLock { $0 } }

    func reload() throws {
        let fresh = try Self.load(certificatePath: self.certificatePath, keyPath: self.keyPath)
        self.context.withLock { $0 = fresh }
    }

    static func load(certificatePath: String, keyPath: String) throws -> NIOSSLContext {
        let chain: [NIOSSLCertificate]
        let key: NIOSSLPrivateKey
        do {
            chain = try NIOSSLCertificate.fromPEMFile(certificatePath)
        } catch {
            throw ConfigurationError("cannot read the TLS certificate '\(certificatePath)' (a PEM file): \(error)")
        }
        guard !chain.isEmpty else { throw ConfigurationError("the TLS certificate file '\(certificatePath)' holds no certificate") }
        do {
            key = try NIOSSLPrivateKey(file: keyPath, format: .pem)
        } catch {
            throw ConfigurationError("cannot read the TLS private key '\(keyPath)' (a PEM file): \(error)")
        }
        let configuration = TLSConfiguration.makeServerConfiguration(certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key))
        do {
            return try NIOSSLContext(configuration: configuration)
        } catch {
            throw ConfigurationError("the TLS certificate '\(certificatePath)' and key '\(keyPath)' do not work together: \(error)")
        }
    }

    /// The handler that terminates TLS on a new connection, with the current certificate.
    func makeHandler() -> NIOSSLServerHandler {
        NIOSSLServerHandler(context: self.current)
    }
}
