import Foundation
import JWTKit
import Logging
import SwitchboardAuth
import SwitchboardCore
import SwitchboardStore
import Testing

@testable import SwitchboardServer

/// Tokens, scopes, JWTs, accounts and sessions, over real HTTP, WebSocket and TCP connections.
@Suite struct SecurityTests {
    /// A data directory holding tokens (by name → token text) and accounts, made before the hub starts.
    struct Credentials {
        let directory = TestFiles.temporaryDirectory()
        var tokens: [String: String] = [:]

        mutating func token(_ name: String, _ scopes: [String], expiresMs: Int64? = nil) throws {
            let (record, token) = TokenRecord.make(
                scopes: try scopes.map { try Scope(parsing: $0) }, label: name, expiresMs: expiresMs, nowMs: Authenticator.nowMs())
            try self.withStore { try $0.saveDocument(collection: TokenRecord.collection, id: record.id, body: try record.jsonText()) }
            self.tokens[name] = token
        }

        func account(_ name: String, password: String, role: Account.Role) throws {
            let account = try Account(name: name, password: password, role: role, nowMs: Authenticator.nowMs())
            try self.withStore { try $0.saveDocument(collection: Account.collection, id: name, body: try account.jsonText()) }
        }

        func withStore(_ body: (SQLiteStore) throws -> Void) throws {
            let store = try SQLiteStore(directory: self.directory, logger: Logger(label: "test"))
            defer { try? store.close() }
            try body(store)
        }

        subscript(name: String) -> String { self.tokens[name]! }
    }

    static func bearer(_ token: String) -> [String: String] { ["Authorization": "Bearer \(token)"] }

    @Test func httpEndpointsCheckScopes() async throws {
        var credentials = Credentials()
        try credentials.token("lab", ["pub:lab/#", "sub:lab/#"])
        try credentials.token("reader", ["sub:lab/+/temp"])
        try credentials.token("old", ["admin"], expiresMs: Authenticator.nowMs() - 1000)
        try await TestHub.with(dataDirectory: credentials.directory) { hub in
            let lab = Self.bearer(credentials["lab"]), reader = Self.bearer(credentials["reader"])
            // No credentials, unknown and expired tokens: 401.
            let anonymous = try await TestHTTP.request("POST", hub.http + "/api/v1/publish/lab/a/temp", body: "1")
            #expect(anonymous.status == 401 && anonymous.errorCode == "unauthorized")
            let unknown = try await TestHTTP.request("GET", hub.http + "/api/v1/topics", headers: Self.bearer("sbt_00000000_nope"))
            #expect(unknown.status == 401 && unknown.text.contains("unknown or revoked"))
            let expired = try await TestHTTP.request("GET", hub.http + "/api/v1/topics", headers: Self.bearer(credentials["old"]))
            #expect(expired.status == 401 && expired.text.contains("expired"))
            #expect(try await TestHTTP.get(hub.http + "/healthz").status == 200, "health stays open")

            // Publishing: inside pub: scopes only.
            let allowed = try await TestHTTP.request("POST", hub.http + "/api/v1/publish/lab/a/temp", body: "21.5", headers: lab)
            #expect(allowed.status == 200)
            let outside = try await TestHTTP.request("POST", hub.http + "/api/v1/publish/plant/x", body: "1", headers: lab)
            #expect(outside.status == 403 && outside.errorCode == "forbidden" && outside.text.contains("pub:plant/x"))
            let readOnly = try await TestHTTP.request("POST", hub.http + "/api/v1/publish/lab/a/temp", body: "1", headers: reader)
            #expect(readOnly.status == 403)
            // ?token= works where headers cannot be set.
            let query = try await TestHTTP.request("POST", hub.http + "/api/v1/publish/lab/b/temp?token=\(credentials["lab"])", body: "3")
            #expect(query.status == 200)

            // Reading: history, descriptors and the topic list follow sub: scopes.
            let history = try await TestHTTP.request("GET", hub.http + "/api/v1/topics/lab/a/temp/messages", headers: reader)
            #expect(history.status == 200 && (history.json["messages"] as? [Any])?.count == 1)
            _ = try await TestHTTP.request("POST", hub.http + "/api/v1/publish/lab/a/humidity", body: "40", headers: lab)
            let hidden = try await TestHTTP.request("GET", hub.http + "/api/v1/topics/lab/a/humidity/messages", headers: reader)
            #expect(hidden.status == 403)
            let listing = try await TestHTTP.request("GET", hub.http + "/api/v1/topics", headers: reader)
            let names = (listing.json["topics"] as? [[String: Any]] ?? []).compactMap { $0["topic"] as? String }
            #expect(Set(names) == ["lab/a/temp", "lab/b/temp"], "only readable topics are listed: \(names)")
            // A subscription must stay inside the scope: lab/+/temp yes, lab/# no.
            let wide = try await TestHTTP.request("GET", hub.http + "/api/v1/subscribe?topics=lab/%23", headers: reader)
            #expect(wide.status == 403)
            let describe = try await TestHTTP.request(
                "PUT", hub.http + "/api/v1/topics/lab/a/temp/descriptor", body: #"{"kind":"line"}"#, headers: reader)
            #expect(describe.status == 403)

            // Commands and sources.
            let command = try await TestHTTP.request("POST", hub.http + "/api/v1/devices/esp32-1/commands", body: #"{"name":"x"}"#, headers: lab)
            #expect(command.status == 403 && command.text.contains("cmd:esp32-1"))
            let source = try await TestHTTP.request(
                "POST", hub.http + "/api/v1/sources", body: #"{"name":"s","kind":"clock","topic":"plant/clock"}"#, headers: lab)
            #expect(source.status == 403)
            let own = try await TestHTTP.request(
                "POST", hub.http + "/api/v1/sources", body: #"{"name":"s","kind":"clock","topic":"lab/clock","state":"stopped"}"#, headers: lab)
            #expect(own.status == 201, "\(own.text)")

            // Revoked: gone from the store, refused within the reload interval (or at once on a miss).
            try credentials.withStore { store in
                let id = TokenRecord.id(inToken: credentials["lab"])!
                try store.deleteDocument(collection: TokenRecord.collection, id: id)
            }
            hub.app.authenticator.reloadIfOlder(than: .zero)
            let revoked = try await TestHTTP.request("GET", hub.http + "/api/v1/topics", headers: lab)
            #expect(revoked.status == 401)
        }
    }

    @Test func webSocketsCheckScopes() async throws {
        var credentials = Credentials()
        try credentials.token("lab", ["pub:lab/#", "sub:lab/#"])
        try await TestHub.with(dataDirectory: credentials.directory) { hub in
            let token = credentials["lab"]
            // Simple endpoints: the token in the URL; outside the scope the socket is closed with 1008.
            let forbidden = try await hub.webSocket("/ws/sub/plant/%23?token=\(token)")
            #expect(try await forbidden.nextJSON()["error"] != nil)
            #expect(try await Self.closeCode(forbidden) == 1008)
            let missing = try await hub.webSocket("/ws/pub/lab/x")
            #expect(((try await missing.nextJSON()["error"]) as? [String: Any])?["code"] as? String == "unauthorized")
            #expect(try await Self.closeCode(missing) == 1008)
            let bad = try await hub.webSocket("/ws?token=sbt_1234abcd_wrong")
            #expect(((try await bad.nextJSON()["error"]) as? [String: Any])?["code"] as? String == "unauthorized")
            #expect(try await Self.closeCode(bad) == 1008)

            // /ws without credentials: only hello with a token opens it.
            let client = try await hub.webSocket("/ws")
            try await client.send(json: ["op": "sub", "id": 1, "topics": ["lab/#"]])
            #expect(((try await client.nextJSON()["error"]) as? [String: Any])?["code"] as? String == "unauthorized")
            try await client.send(json: ["op": "hello", "id": 2, "token": token])
            #expect(try await client.nextJSON()["op"] as? String == "ok")
            try await client.send(json: ["op": "sub", "id": 3, "topics": ["plant/#"]])
            let refused = try await client.nextJSON()
            #expect((refused["error"] as? [String: Any])?["code"] as? String == "forbidden" && refused["id"] as? Int == 3)
            try await client.send(json: ["op": "sub", "id": 4, "topics": ["lab/#"]])
            #expect(try await client.nextJSON()["op"] as? String == "ok")
            try await client.send(json: ["op": "pub", "id": 5, "topic": "plant/x", "data": 1])
            #expect(((try await client.nextJSON()["error"]) as? [String: Any])?["code"] as? String == "forbidden")
            // A publish inside the scope arrives through the subscription, and is acknowledged.
            let publisher = try await hub.webSocket("/ws/pub/lab/t?token=\(token)")
            try await publisher.send("42")
            let delivered = try await client.nextJSON()
            #expect(delivered["topic"] as? String == "lab/t" && delivered["data"] as? Int == 42)
            await publisher.close()
            await client.close()
        }
    }

    @Test func tcpDevicesSayTheirTokenInHello() async throws {
        var credentials = Credentials()
        try credentials.token("device", ["pub:lab/esp32-1/#"])
        try await TestHub.with(dataDirectory: credentials.directory) { hub in
            let stranger = try await TestTCPClient(port: hub.tcpPort)
            try await stranger.send(#"{"topic":"lab/esp32-1/t","data":1,"id":1}"#)
            #expect(((try await stranger.nextJSON()["error"]) as? [String: Any])?["code"] as? String == "unauthorized")
            try await stranger.send(#"{"hello":"esp32-1","token":"sbt_00000000_bad"}"#)
            #expect(((try await stranger.nextJSON()["error"]) as? [String: Any])?["code"] as? String == "unauthorized")
            #expect(try await stranger.nextLine() == nil, "a refused token closes the connection")

            let device = try await TestTCPClient(port: hub.tcpPort)
            try await device.send(#"{"hello":"esp32-1","topic":"lab/esp32-1/t","token":"\#(credentials["device"])"}"#)
            #expect(try await device.nextJSON()["ok"] as? Bool == true)
            try await device.send(#"{"temp":21.5,"id":7}"#)
            #expect(try await device.nextJSON()["ok"] as? Int == 7)
            try await device.send(#"{"topic":"lab/other","data":1,"id":8}"#)
            let refused = try await device.nextJSON()
            #expect((refused["error"] as? [String: Any])?["code"] as? String == "forbidden")
            await device.close()
        }
    }

    struct TestClaims: JWTPayload {
        var exp: ExpirationClaim
        var sub: SubjectClaim
        var scope: String
        func verify(using algorithm: some JWTAlgorithm) async throws {}
    }

    static func jwt(secret: String, scope: String, expiresIn seconds: TimeInterval) async throws -> String {
        let keys = JWTKeyCollection()
        await keys.add(hmac: HMACKey(from: secret), digestAlgorithm: .sha256)
        return try await keys.sign(TestClaims(exp: .init(value: Date().addingTimeInterval(seconds)), sub: "backend-user", scope: scope))
    }

    @Test func jwtsFromAnotherBackend() async throws {
        let secret = String(repeating: "k", count: 40)
        try await TestHub.with(configure: { $0.security.jwtSecret = secret }) { hub in
            let good = try await Self.jwt(secret: secret, scope: "pub:lab/# sub:lab/#", expiresIn: 600)
            let ok = try await TestHTTP.request("POST", hub.http + "/api/v1/publish/lab/j", body: "1", headers: Self.bearer(good))
            #expect(ok.status == 200)
            let outside = try await TestHTTP.request("POST", hub.http + "/api/v1/publish/plant/j", body: "1", headers: Self.bearer(good))
            #expect(outside.status == 403)
            let expired = try await Self.jwt(secret: secret, scope: "admin", expiresIn: -60)
            let late = try await TestHTTP.request("GET", hub.http + "/api/v1/topics", headers: Self.bearer(expired))
            #expect(late.status == 401 && late.text.contains("expired"))
            let forged = try await Self.jwt(secret: String(repeating: "x", count: 40), scope: "admin", expiresIn: 600)
            let wrong = try await TestHTTP.request("GET", hub.http + "/api/v1/topics", headers: Self.bearer(forged))
            #expect(wrong.status == 401 && wrong.text.contains("signature"))
            // Over a WebSocket too, where the check runs off the event loop.
            let socket = try await hub.webSocket("/ws/sub/lab/%23?token=\(good)")
            let publisher = try await TestHTTP.request("POST", hub.http + "/api/v1/publish/lab/k", body: "2", headers: Self.bearer(good))
            #expect(publisher.status == 200)
            #expect(try await socket.nextJSON()["topic"] as? String == "lab/k")
            await socket.close()
        }
    }

    @Test func dashboardLoginSessionsCSRFAndRoles() async throws {
        let credentials = Credentials()
        try credentials.account("olga", password: "operator-pass", role: .operator)
        try credentials.account("vic", password: "viewer-pass1", role: .viewer)
        try await TestHub.with(dataDirectory: credentials.directory) { hub in
            let wrong = try await TestHTTP.post(hub.http + "/login", #"{"username":"olga","password":"nope-nope"}"#)
            #expect(wrong.status == 401)
            let login = try await TestHTTP.post(hub.http + "/login", #"{"username":"olga","password":"operator-pass"}"#)
            #expect(login.status == 200)
            let setCookie = login.headers["set-cookie"] ?? ""
            #expect(setCookie.contains("HttpOnly") && setCookie.contains("SameSite=Strict"))
            let cookie = String(setCookie.split(separator: ";")[0])
            let csrf = try #require(login.json["csrf"] as? String)
            let session = try await TestHTTP.request("GET", hub.http + "/api/v1/session", headers: ["Cookie": cookie])
            #expect(session.json["user"] as? String == "olga" && session.json["role"] as? String == "operator")

            // A cookie alone does not change anything: the CSRF token must come along.
            let noCSRF = try await TestHTTP.request("POST", hub.http + "/api/v1/publish/lab/x", body: "1", headers: ["Cookie": cookie])
            #expect(noCSRF.status == 403 && noCSRF.text.contains("CSRF"))
            let withCSRF = try await TestHTTP.request(
                "POST", hub.http + "/api/v1/publish/lab/x", body: "1", headers: ["Cookie": cookie, "X-CSRF-Token": csrf])
            #expect(withCSRF.status == 200)

            // Cookie WebSockets: the hub's own page yes, another site no.
            let own = try await TestWebSocket.connect(
                port: hub.httpPort, path: "/ws/sub/lab/%23?last=1", headers: ["Cookie": cookie, "Origin": "http://127.0.0.1:\(hub.httpPort)"])
            #expect(try await own.nextJSON()["topic"] as? String == "lab/x")
            await own.close()
            let foreign = try await TestWebSocket.connect(
                port: hub.httpPort, path: "/ws/sub/lab/%23", headers: ["Cookie": cookie, "Origin": "http://evil.example"])
            #expect(((try await foreign.nextJSON()["error"]) as? [String: Any])?["code"] as? String == "forbidden")

            // A viewer reads but does not publish or command.
            let viewer = try await TestHTTP.post(hub.http + "/login", #"{"username":"vic","password":"viewer-pass1"}"#)
            let viewerCookie = String((viewer.headers["set-cookie"] ?? "").split(separator: ";")[0])
            let viewerCSRF = viewer.json["csrf"] as? String ?? ""
            let viewerHeaders = ["Cookie": viewerCookie, "X-CSRF-Token": viewerCSRF]
            #expect(try await TestHTTP.request("GET", hub.http + "/api/v1/topics/lab/x/messages", headers: viewerHeaders).status == 200)
            #expect(try await TestHTTP.request("POST", hub.http + "/api/v1/publish/lab/x", body: "1", headers: viewerHeaders).status == 403)
            let command = try await TestHTTP.request(
                "POST", hub.http + "/api/v1/devices/d1/commands", body: #"{"name":"x"}"#, headers: viewerHeaders)
            #expect(command.status == 403)

            // Logout ends the session.
            let logout = try await TestHTTP.request("POST", hub.http + "/logout", body: "", headers: ["Cookie": cookie, "X-CSRF-Token": csrf])
            #expect(logout.status == 200 && (logout.headers["set-cookie"] ?? "").contains("Max-Age=0"), "\(logout.status) \(logout.text)")
            #expect(try await TestHTTP.request("GET", hub.http + "/api/v1/session", headers: ["Cookie": cookie]).status == 401)
        }
    }

    @Test func sessionsExpireByThemselves() async throws {
        let credentials = Credentials()
        try credentials.account("eve", password: "a-long-pass", role: .viewer)
        try await TestHub.with(configure: { $0.security.sessionTTLSeconds = 1 }, dataDirectory: credentials.directory) { hub in
            let login = try await TestHTTP.post(hub.http + "/login", #"{"username":"eve","password":"a-long-pass"}"#)
            #expect(login.status == 200)
            let cookie = String((login.headers["set-cookie"] ?? "").split(separator: ";")[0])
            try await Task.sleep(for: .seconds(1.5))
            let late = try await TestHTTP.request("GET", hub.http + "/api/v1/session", headers: ["Cookie": cookie])
            #expect(late.status == 401 && late.errorCode == "unauthorized")
        }
    }

    @Test func tokenCLICreatesListsAndRevokesWhileTheHubRuns() async throws {
        let directory = TestFiles.temporaryDirectory()
        let created = try await ToolRun.run(HubProcess.binary, ["token", "create", "--scope", "pub:lab/#", "--label", "cli", "--data", directory])
        #expect(created.status == 0, "\(created.stderr)")
        let token = try #require(created.stdout.split(separator: "\n").last.map(String.init))
        #expect(token.hasPrefix("sbt_"))
        let hub = try HubProcess.start(dataDirectory: directory)
        defer { hub.terminate() }
        let base = "http://127.0.0.1:\(hub.httpPort)"
        #expect(try await TestHTTP.request("POST", base + "/api/v1/publish/lab/c", body: "1", headers: Self.bearer(token)).status == 200)
        #expect(try await TestHTTP.request("POST", base + "/api/v1/publish/lab/c", body: "1").status == 401)
        let listed = try await ToolRun.run(HubProcess.binary, ["token", "list", "--data", directory])
        #expect(listed.stdout.contains("pub:lab/#") && !listed.stdout.contains(token))
        // A second token made while the hub runs works at once (an unknown token makes the hub re-read).
        let second = try await ToolRun.run(HubProcess.binary, ["token", "create", "--scope", "sub:lab/#", "--data", directory])
        let secondToken = try #require(second.stdout.split(separator: "\n").last.map(String.init))
        #expect(try await TestHTTP.request("GET", base + "/api/v1/topics/lab/c/messages", headers: Self.bearer(secondToken)).status == 200)
        let revoked = try await ToolRun.run(HubProcess.binary, ["token", "revoke", token, "--data", directory])
        #expect(revoked.status == 0)
        // Revocation takes effect within the reload interval (2 s); poll, bounded.
        var status = 0
        for _ in 0..<50 {
            status = try await TestHTTP.request("POST", base + "/api/v1/publish/lab/c", body: "1", headers: Self.bearer(token)).status
            if status == 401 { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(status == 401)
    }

    @Test func mqttClientsAuthenticateWithATokenAsPassword() async throws {
        var credentials = Credentials()
        try credentials.token("mqtt", ["pub:lab/#", "sub:lab/#"])
        try await TestHub.with(dataDirectory: credentials.directory) { hub in
            let refused = try await ToolRun.run("mosquitto_pub", ["-p", "\(hub.mqttPort)", "-t", "lab/m", "-m", "1", "-q", "1"])
            #expect(refused.status != 0 && refused.stderr.lowercased().contains("not authori"), "\(refused.stderr)")
            let wrong = try await ToolRun.run("mosquitto_pub", ["-p", "\(hub.mqttPort)", "-t", "lab/m", "-m", "1", "-q", "1", "-u", "d", "-P", "sbt_1_x"])
            #expect(wrong.status != 0, "\(wrong.stderr)")
            let accepted = try await ToolRun.run(
                "mosquitto_pub", ["-p", "\(hub.mqttPort)", "-t", "lab/m", "-m", "21", "-q", "1", "-u", "device", "-P", credentials["mqtt"]])
            #expect(accepted.status == 0, "\(accepted.stderr)")
            let stored = try await TestHTTP.request("GET", hub.http + "/api/v1/topics/lab/m/messages", headers: Self.bearer(credentials["mqtt"]))
            #expect((stored.json["messages"] as? [Any])?.count == 1)
        }
    }

    @Test func refusesToListenBeyondLoopbackWithoutAuthentication() async throws {
        let port = try FreePort.take()
        let refused = try await ToolRun.run(
            HubProcess.binary, ["serve", "--http", "0.0.0.0:\(port)", "--tcp", "off", "--mqtt", "off", "--data", TestFiles.temporaryDirectory()], timeout: 30)
        #expect(refused.status != 0 && refused.status != SIGKILL)
        #expect(refused.stderr.contains("refusing to listen on 0.0.0.0:\(port) without authentication"), "\(refused.stderr)")
    }

    /// A close frame's code, skipping any text frames before it.
    static func closeCode(_ socket: TestWebSocket) async throws -> UInt16? {
        for _ in 0..<10 {
            if case .close(let code, _) = try await socket.next() { return code }
        }
        return nil
    }
}

enum FreePort {
    /// A port that was free a moment ago (bound to port 0, then closed).
    static func take() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
