import Foundation
import Testing

@testable import SwitchboardServer

/// https, wss and TLS on the TCP port, with a certificate made in the test by `openssl`;
/// clients are curl and Python's ssl module, which nobody here wrote.
@Suite struct TLSTests {
    /// A self-signed certificate for 127.0.0.1 with common name `name`, written into `directory`.
    static func makeCertificate(in directory: String, name: String) async throws -> (certificate: String, key: String) {
        let certificate = directory + "/cert.pem", key = directory + "/key.pem"
        let output = try await ToolRun.run(
            "openssl",
            ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", key, "-out", certificate,
             "-days", "1", "-subj", "/CN=\(name)", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"])
        #expect(output.status == 0, "openssl: \(output.stderr)")
        return (certificate, key)
    }

    /// A Python TLS client: `mode` is `wss` (publish over /ws, print the answer), `tcp` (one line, print the answer)
    /// or `subject` (print the server certificate's common name).
    static let client = #"""
        import asyncio, json, socket, ssl, sys
        mode, port, cafile = sys.argv[1], int(sys.argv[2]), sys.argv[3]
        context = ssl.create_default_context(cafile=cafile)
        if mode == "wss":
            import websockets
            async def main():
                async with websockets.connect(f"wss://127.0.0.1:{port}/ws", ssl=context, open_timeout=10) as ws:
                    await ws.send(json.dumps({"op": "pub", "id": 1, "topic": "tls/ws", "data": 5}))
                    print(await asyncio.wait_for(ws.recv(), 10))
            asyncio.run(main())
        else:
            with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
                with context.wrap_socket(raw, server_hostname="127.0.0.1") as tls:
                    if mode == "subject":
                        print(dict(x[0] for x in tls.getpeercert()["subject"])["commonName"])
                    else:
                        tls.sendall(b'{"topic":"tls/tcp","data":7,"id":9}\n')
                        print(tls.makefile().readline().strip())
        """#

    @Test func httpsWssAndTcpSpeakTLSAndPlainClientsFailCleanly() async throws {
        let directory = TestFiles.temporaryDirectory()
        let (certificate, key) = try await Self.makeCertificate(in: directory, name: "first")
        let script = directory + "/client.py"
        try Self.client.write(toFile: script, atomically: true, encoding: .utf8)
        try await TestHub.with(configure: {
            $0.security.tlsCertificate = certificate
            $0.security.tlsKey = key
        }) { hub in
            let health = try await ToolRun.run("curl", ["-sS", "--cacert", certificate, "https://127.0.0.1:\(hub.httpPort)/healthz"])
            #expect(health.status == 0 && health.stdout.contains("ok"), "https: \(health.stdout) \(health.stderr)")

            let wss = try await ToolRun.run("python3", [script, "wss", "\(hub.httpPort)", certificate])
            #expect(wss.stdout.contains(#""op":"ok""#) && wss.stdout.contains(#""seq":1"#), "wss: \(wss.stdout) \(wss.stderr)")
            let tcp = try await ToolRun.run("python3", [script, "tcp", "\(hub.tcpPort)", certificate])
            #expect(tcp.stdout.contains(#""ok":9"#), "tcp over TLS: \(tcp.stdout) \(tcp.stderr)")

            // A plain client gets no answer it could mistake for one, and the hub carries on.
            let plain = try await ToolRun.run("curl", ["-sS", "--max-time", "10", "http://127.0.0.1:\(hub.httpPort)/healthz"])
            #expect(plain.status != 0 && !plain.stdout.contains("ok"), "plain http on the TLS port: \(plain.stdout)")
            let plainTCP = try await TestTCPClient(port: hub.tcpPort)
            try await plainTCP.send(#"{"topic":"tls/plain","data":1,"id":1}"#)
            #expect(try await plainTCP.nextLine() == nil, "the TLS port closes a plain TCP client")
            let stored = try await ToolRun.run("curl", ["-sS", "--cacert", certificate, "https://127.0.0.1:\(hub.httpPort)/api/v1/topics/tls/tcp/messages"])
            #expect(stored.stdout.contains(#""data":7"#))

            // A renewed certificate is used for new connections after a reload (what SIGHUP does).
            let renewed = TestFiles.temporaryDirectory()
            let (newCertificate, newKey) = try await Self.makeCertificate(in: renewed, name: "second")
            try FileManager.default.removeItem(atPath: certificate)
            try FileManager.default.removeItem(atPath: key)
            try FileManager.default.copyItem(atPath: newCertificate, toPath: certificate)
            try FileManager.default.copyItem(atPath: newKey, toPath: key)
            try hub.app.tls!.reload()
            let subject = try await ToolRun.run("python3", [script, "subject", "\(hub.httpPort)", newCertificate])
            #expect(subject.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "second", "\(subject.stdout) \(subject.stderr)")
        }
    }

    @Test func aBrokenCertificateStopsTheStartWithAClearMessage() async throws {
        let directory = TestFiles.temporaryDirectory()
        try "not a certificate".write(toFile: directory + "/cert.pem", atomically: true, encoding: .utf8)
        let output = try await ToolRun.run(
            HubProcess.binary, ["serve", "--http", "127.0.0.1:0", "--tcp", "off", "--mqtt", "off", "--data", directory,
             "--tls-cert", directory + "/cert.pem", "--tls-key", directory + "/cert.pem"], timeout: 30)
        #expect(output.status != 0 && output.stderr.contains("cannot read the TLS certificate"), "\(output.stderr)")
    }
}

/// Runs a command-line tool to its end (bounded by a timeout).
///
/// On a thread of its own: waiting for a child process on one of Swift concurrency's few
/// threads (two on this machine) would starve in-process hubs that the child talks to.
enum ToolRun {
    static func run(_ tool: String, _ arguments: [String], timeout: TimeInterval = 30) async throws -> CLITests.Output {
        try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread {
                continuation.resume(with: Result { try Self.runBlocking(tool, arguments, timeout: timeout) })
            }
        }
    }

    static func runBlocking(_ tool: String, _ arguments: [String], timeout: TimeInterval) throws -> CLITests.Output {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [tool] + arguments
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let pid = process.processIdentifier
        DispatchQueue.global().asyncAfter(deadline: .now() + timeout) { if process.isRunning { kill(pid, SIGKILL) } }
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return CLITests.Output(
            status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self), stderr: String(decoding: stderr, as: UTF8.self))
    }
}
