import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import SwitchboardAuth
import SwitchboardCore

/// Dashboard log-in with accounts:
/// - `GET /login` — the form;
/// - `POST /login` `{"username","password"}` (JSON or an HTML form) — sets the
///   session cookie (HttpOnly, SameSite=Strict) and answers `{"user","role","csrf"}`
///   (a form is redirected to `next` or `/` instead); 401 on a wrong name or password;
/// - `POST /logout` — ends the session and clears the cookie;
/// - `GET /api/v1/session` — who the request is (`user`, `role`, `scopes`, `csrf`),
///   so the page knows which buttons to show and what to send in `X-CSRF-Token`.
struct LoginController {
    let authenticator: Authenticator
    /// Adds `Secure` to the cookie when the hub serves HTTPS.
    let secureCookies: Bool

    func addRoutes(to router: Router<SwitchboardRequestContext>) {
        router.get("/login") { _, _ in
            Response(
                status: .ok, headers: [.contentType: "text/html; charset=utf-8", .cacheControl: "no-store"],
                body: .init(byteBuffer: ByteBuffer(string: LoginPage.html)))
        }
        router.post("/login") { request, _ in try await self.login(request) }
        router.post("/logout") { _, context in
            if let session = context.session { self.authenticator.logout(sessionID: session.id) }
            var response = JSONResponse.make(.object([("ok", .bool(true))]))
            response.headers[.setCookie] = self.cookie(value: "", maxAge: 0)
            return response
        }
        router.get("/api/v1/session") { _, context in
            let grant = try context.requireGrant()
            return JSONResponse.make(
                .object([
                    ("subject", .string(grant.subject)),
                    ("user", context.session.map { .string($0.user) } ?? .null),
                    ("role", context.session.map { .string($0.role.rawValue) } ?? .null),
                    ("scopes", .array(grant.scopes.map { .string($0.description) })),
                    ("csrf", context.session.map { .string($0.csrf) } ?? .null),
                    ("auth_required", .bool(self.authenticator.isRequired)),
                ]))
        }
    }

    func login(_ request: Request) async throws -> Response {
        let body = try await request.body.collect(upTo: 16 * 1024)
        let isForm = request.headers[.contentType]?.hasPrefix("application/x-www-form-urlencoded") ?? false
        let fields: [String: String]
        if isForm {
            fields = URIParts.split("?" + String(buffer: body)).query
        } else {
            let json = try JSONParser.parse(body)
            fields = ["username": json["username"]?.stringValue ?? "", "password": json["password"]?.stringValue ?? ""]
        }
        let user = fields["username"] ?? "", password = fields["password"] ?? ""
        // bcrypt takes ~50 ms of CPU: off the event loop.
        let authenticator = self.authenticator
        let session = await Task.detached { authenticator.login(user: user, password: password) }.value
        guard let session else { throw HubError.unauthorized("wrong user name or password") }
        var response: Response
        if isForm {
            let next = fields["next"].flatMap { $0.hasPrefix("/") && !$0.hasPrefix("//") ? $0 : nil } ?? "/"
            response = Response(status: .seeOther, headers: [.location: next])
        } else {
            response = JSONResponse.make(
                .object([("user", .string(session.user)), ("role", .string(session.role.rawValue)), ("csrf", .string(session.csrf))]))
        }
        response.headers[.setCookie] = self.cookie(value: session.id, maxAge: Int((session.expiresMs - Authenticator.nowMs()) / 1000))
        return response
    }

    func cookie(value: String, maxAge: Int) -> String {
        "\(PresentedCredentials.sessionCookie)=\(value); Path=/; Max-Age=\(maxAge); HttpOnly; SameSite=Strict\(self.secureCookies ? "; Secure" : "")"
    }
}

/// The log-in form: plain HTML that works without JavaScript, light and dark.
enum LoginPage {
    static let html = """
        <!doctype html>
        <html lang="en">
        <head>
        <meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
        <title>Switchboard — log in</title>
        <style>
          :root { color-scheme: light dark; font-family: system-ui, sans-serif; }
          body { display: grid; place-items: center; min-height: 100vh; margin: 0; background: Canvas; color: CanvasText; }
          form { display: grid; gap: .75rem; width: min(20rem, 90vw); padding: 2rem; border: 1px solid #8884; border-radius: .75rem; }
          h1 { font-size: 1.4rem; margin: 0 0 .5rem; }
          input, button { font: inherit; padding: .55rem .7rem; border-radius: .4rem; border: 1px solid #8886; }
          button { background: #2f6fdf; color: white; border: none; cursor: pointer; }
          #error { color: #d33; min-height: 1.2em; margin: 0; }
        </style>
        </head>
        <body>
        <form method="post" action="/login" id="login">
          <h1>Switchboard</h1>
          <label>User <input name="username" id="username" autocomplete="username" required autofocus></label>
          <label>Password <input name="password" id="password" type="password" autocomplete="current-password" required></label>
          <input type="hidden" name="next" id="next" value="/">
          <button type="submit">Log in</button>
          <p id="error" role="alert"></p>
        </form>
        <script type="module">
          const next = new URLSearchParams(location.search).get("next");
          if (next && next.startsWith("/") && !next.startsWith("//")) document.getElementById("next").value = next;
          document.getElementById("login").addEventListener("submit", async (event) => {
            event.preventDefault();
            const form = event.target;
            const response = await fetch("/login", {
              method: "POST", headers: { "Content-Type": "application/json" },
              body: JSON.stringify({ username: form.username.value, password: form.password.value }),
            });
            if (response.ok) { location.href = form.next.value; return; }
            const body = await response.json().catch(() => ({}));
            document.getElementById("error").textContent = body.error?.message ?? `log-in failed (${response.status})`;
          });
        </script>
        </body>
        </html>
        """
}
