import Access
import Foundation
import Testing
import TestSupport
import ThroughlineClient
import ThroughlineCore
@testable import ThroughlineServer

/// A server with a TCP listener, two accounts (acme in Dana Reyes's book, globex in Lee Park's)
/// and a token of every role.
struct SignedInServer {
    let server: RunningServer
    let tcp: ServerAddress
    let access: AccessStore
    var tokens: [Role: String] = [:]
    /// A CSM token whose book is Dana Reyes's.
    var csmToken: String { tokens[.csm]! }

    static let accounts = [
        #"{"id":"p-acme","account":"acme","type":"account.updated","time":"2026-03-01T09:00:00Z","data":{"name":"Acme","csm":"Dana Reyes"}}"#,
        #"{"id":"p-globex","account":"globex","type":"account.updated","time":"2026-03-01T09:00:00Z","data":{"name":"Globex","csm":"Lee Park"}}"#,
    ]

    init(listen host: String = "127.0.0.1", _ configure: (inout ServerOptions) -> Void = { _ in }) async throws {
        let dir = TempDir()
        access = try AccessStore(directory: dir.path, passwordCost: 4)
        for role in Role.allCases {
            tokens[role] = try access.createToken(name: "t-\(role.rawValue)", role: role, book: role == .csm ? ["Dana Reyes"] : [], now: 1).secret
        }
        server = try await RunningServer(in: dir) { $0.listen = (host, 0); configure(&$0) }
        tcp = .tcp(host: "127.0.0.1", port: try await server.tcpPort())
        let reply = try await server.post(Self.accounts.joined(separator: "\n"))
        guard reply.status == 200, let seq = try results(reply).last?.seq else { throw TestFailure(reply.text) }
        _ = try await server.get("/v1/accounts/globex/timeline?min_seq=\(seq)")
    }

    func request(_ method: String, _ path: String, token: String? = nil, cookie: String? = nil, headers: [(String, String)] = [],
                 form: String? = nil) async throws -> HTTPReply {
        var h = headers
        if let token { h.append(("Authorization", "Bearer " + token)) }
        if let cookie { h.append(("Cookie", cookie)) }
        if form != nil, !h.contains(where: { $0.0 == "Content-Type" }) { h.append(("Content-Type", "application/x-www-form-urlencoded")) }
        return try await HTTPConnection.request(tcp, method, path, headers: h, body: form.map { Array($0.utf8) } ?? [])
    }

    /// Signs `name` in through the form and returns the session cookie (`name=value`).
    func signIn(_ name: String, _ password: String) async throws -> (reply: HTTPReply, cookie: String?) {
        let page = try await request("GET", "/sign-in")
        let csrf = try #require(page.text.firstMatch(of: /name="csrf" value="([0-9a-f]+)"/)?.1)
        let reply = try await request("POST", "/sign-in", form: "csrf=\(csrf)&next=%2Faccounts%2Facme&name=\(name)&password=\(percentEncoded(password))")
        let cookie = reply.header("Set-Cookie").map { String($0.prefix { $0 != ";" }) }
        return (reply, cookie)
    }
}

/// Whether an answer is the role check's refusal (a 403 naming the role), not another answer.
func refusedByRole(_ reply: HTTPReply) -> Bool { reply.status == 403 && reply.text.contains("which may not") }

@Suite("Sign-in and roles")
struct SignInTests {
    @Test("The README's roles table is what the server does: each route and role, with a token of that role")
    func rolesTableWalked() async throws {
        let readme = try String(contentsOfFile: CLI.repo + "/README.md", encoding: .utf8)
        let rows = readme.split(separator: "\n").compactMap { line -> (method: String, path: String, cells: [String])? in
            guard let m = line.firstMatch(of: /^\| `(GET|POST) ([^`]+)` \|(.*)\|$/) else { return nil }
            return (String(m.1), String(m.2), m.3.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) })
        }
        // Every route the server answers is in the table, and nothing else.
        let served = Set(Endpoints.all.flatMap { e in e.methods.map { "\($0.rawValue) \(e.pattern)" } })
        #expect(Set(rows.map { "\($0.method) \($0.path)" }) == served)
        let s = try await SignedInServer()
        for row in rows {
            #expect(row.cells.count == Role.allCases.count, "\(row.path)")
            for (role, cell) in zip(Role.allCases, row.cells) {
                var targets = [("acme", true)]
                if cell == "own book" { targets.append(("globex", false)) }
                for (account, inBook) in targets {
                    // (The stream ends once it has sent what is there.)
                    let path = row.path.replacingOccurrences(of: "{id}", with: account) + (row.path == "/v1/events/stream" ? "?follow=false" : "")
                    let body: String? = switch (row.method, row.path) {
                    case ("POST", "/v1/events"): #"{"id":"walk-\#(role)","account":"acme","type":"note.added","time":"2026-03-02T09:00:00Z","data":{"author":"x","text":"y"}}"#
                    case ("POST", "/accounts/{id}/events"): "kind=note&text=walked+by+\(role)"
                    case ("POST", _): ""
                    default: nil
                    }
                    let reply = try await s.request(row.method, path, token: s.tokens[role],
                                                    headers: row.path == "/v1/events" ? [("Content-Type", "application/x-ndjson")] : [], form: body)
                    let allowed = cell == "yes" || cell == "anyone" || (cell == "own book" && inBook)
                    #expect(reply.status != 401, "\(row.method) \(path) as \(role): \(reply.status) \(reply.text.prefix(200))")
                    let refused = cell == "own book" && !inBook ? reply.status == 403 && reply.text.contains("only to the accounts of their book")
                        : refusedByRole(reply)
                    #expect(refused == !allowed, "\(row.method) \(path) as \(role) (\(cell)): \(reply.status) \(reply.text.prefix(200))")
                }
            }
        }
        try await s.server.stop()
    }

    @Test("Missing, unknown, malformed and revoked tokens are answered 401 and change nothing; the socket still serves")
    func badTokens() async throws {
        let s = try await SignedInServer()
        let note = #"{"id":"bad-1","account":"acme","type":"note.added","time":"2026-03-02T09:00:00Z","data":{"author":"x","text":"y"}}"#
        for token in [nil, "tl_not-a-token", s.tokens[.producer]! + "x"] {
            let reply = try await s.request("POST", "/v1/events", token: token, form: nil)
            #expect(reply.status == 401 && reply.header("WWW-Authenticate")?.hasPrefix("Bearer") == true, "\(reply.text)")
        }
        let basic = try await s.request("GET", "/v1/accounts", headers: [("Authorization", "Basic YTpi")])
        #expect(basic.status == 401 && basic.text.contains("not `Bearer TOKEN`"))
        let accepted = try await HTTPConnection.request(s.tcp, "POST", "/v1/events", headers: [("Authorization", "Bearer " + s.tokens[.producer]!),
                                                        ("Content-Type", "application/x-ndjson")], body: Array(note.utf8))
        #expect(accepted.status == 200)
        _ = try s.access.revokeToken("t-producer", now: 2)
        let revoked = try await HTTPConnection.request(s.tcp, "POST", "/v1/events", headers: [("Authorization", "Bearer " + s.tokens[.producer]!),
                                                       ("Content-Type", "application/x-ndjson")], body: Array(note.replacingOccurrences(of: "bad-1", with: "bad-2").utf8))
        #expect(revoked.status == 401 && revoked.text.contains("unknown or revoked"))
        // The socket's clients need no token; the log holds the two profiles and one note.
        #expect(try await s.server.get("/v1/health").status == 200)
        #expect(try storedIDCounts(s.server.data) == ["p-acme": 1, "p-globex": 1, "bad-1": 1])
        // The commands that talk to a server over TCP send $THROUGHLINE_TOKEN.
        let port = try await s.server.tcpPort()
        let withToken = try await CLI.run(program: "THROUGHLINE_TOKEN=" + s.tokens[.viewer]!, [CLI.binary, "accounts", "--tcp", "127.0.0.1:\(port)", "--json"])
        #expect(withToken.status == 0 && withToken.stdout.contains("globex"), "\(withToken.stderr)")
        let without = try await CLI.run(["accounts", "--tcp", "127.0.0.1:\(port)"])
        #expect(without.status != 0 && without.stderr.contains("sign in first"))
        // Health is open to probes.
        #expect(try await s.request("GET", "/v1/health").status == 200)
        try await s.server.stop()
    }

    @Test("A person signs in with the form: pages redirect there first, the cookie is HttpOnly and SameSite, a CSM sees their book")
    func pageSignIn() async throws {
        let s = try await SignedInServer()
        try s.access.setUser(name: "dana", role: .csm, book: ["Dana Reyes"], password: "correct horse battery", now: 1)
        let before = try await s.request("GET", "/accounts/acme?types=note")
        #expect(before.status == 303 && before.header("Location") == "/sign-in?next=%2Faccounts%2Facme%3Ftypes%3Dnote")
        let wrong = try await s.signIn("dana", "wrong horse battery")
        #expect(wrong.reply.status == 401 && wrong.cookie == nil && wrong.reply.text.contains("the name or the password is wrong"))
        let (reply, cookie) = try await s.signIn("dana", "correct horse battery")
        #expect(reply.status == 303 && reply.header("Location") == "/accounts/acme")
        let setCookie = try #require(reply.header("Set-Cookie"))
        #expect(setCookie.contains("HttpOnly") && setCookie.contains("SameSite=Lax") && !setCookie.contains("Secure"))
        let page = try await s.request("GET", "/accounts/acme", cookie: cookie)
        #expect(page.status == 200 && page.text.contains("dana · csm") && page.text.contains("id=\"note-form\""))
        #expect(!page.text.contains("href=\"/data-quality\""), "a CSM is not offered the ops pages")
        // Another CSM's account: readable, but no forms, and a post is refused.
        let other = try await s.request("GET", "/accounts/globex", cookie: cookie)
        #expect(other.status == 200 && !other.text.contains("id=\"note-form\""))
        let csrf = try #require(page.text.firstMatch(of: /name="csrf" value="([0-9a-f]+)"/)?.1)
        let refused = try await s.request("POST", "/accounts/globex/events", cookie: cookie, form: "csrf=\(csrf)&kind=note&author=x&text=not+mine")
        #expect(refused.status == 403 && refused.text.contains("only to the accounts of their book"))
        // Their own: added under their name, whatever the form said; a form without the session's token is refused.
        let forged = try await s.request("POST", "/accounts/acme/events", cookie: cookie, form: "kind=note&author=x&text=forged")
        #expect(forged.status == 403)
        let added = try await s.request("POST", "/accounts/acme/events", cookie: cookie, form: "csrf=\(csrf)&kind=note&author=someone+else&text=mine")
        #expect(added.status == 303)
        let notes = try await s.server.get("/v1/accounts/acme/timeline?types=note")
        #expect(notes.text.contains("\"author\":\"dana\"") && !notes.text.contains("someone else") && !notes.text.contains("forged"))
        #expect(!notes.text.contains("not mine"))
        // The portfolio shows their book first; "all" shows everyone's.
        let book = try await s.request("GET", "/", cookie: cookie)
        #expect(book.text.contains("/accounts/acme") && !book.text.contains("/accounts/globex"))
        let all = try await s.request("GET", "/?csm=", cookie: cookie)
        #expect(all.text.contains("/accounts/acme") && all.text.contains("/accounts/globex"))
        // The API is not a page: no redirect, a 401 even with the browser's cookie gone.
        #expect(try await s.request("GET", "/v1/accounts").status == 401)
        // Signing out ends the session (the cookie no longer works).
        let out = try await s.request("POST", "/sign-out", cookie: cookie, form: "csrf=\(csrf)")
        #expect(out.status == 303 && out.header("Set-Cookie")?.contains("Max-Age=0") == true)
        let after = try await s.request("GET", "/", cookie: cookie)
        #expect(after.status == 303)
        try await s.server.stop()
    }

    @Test("A session cookie from another server start, a removed user, and a next page on another site are refused")
    func sessionsEnd() async throws {
        let s = try await SignedInServer()
        try s.access.setUser(name: "ops1", role: .ops, book: [], password: "correct horse battery", now: 1)
        let (_, cookie) = try await s.signIn("ops1", "correct horse battery")
        #expect(try await s.request("GET", "/data-quality", cookie: cookie).status == 200)
        try await s.server.stop()
        let again = try await RunningServer(in: s.server.dir) { $0.listen = ("127.0.0.1", 0) }
        let tcp = ServerAddress.tcp(host: "127.0.0.1", port: try await again.tcpPort())
        let stale = try await HTTPConnection.request(tcp, "GET", "/v1/accounts", headers: [("Cookie", try #require(cookie))])
        #expect(stale.status == 401 && stale.text.contains("session has ended"))
        // An open redirect is not: the page to go back to is a path on this server.
        #expect(SignInRoutes.safeNext("//evil.example/") == "/" && SignInRoutes.safeNext("https://evil.example") == "/")
        #expect(SignInRoutes.safeNext("/accounts/acme?x=1") == "/accounts/acme?x=1")
        try await again.stop()
    }

    @Test("Sign-in attempts are limited: the sixth failure within the window is answered 429 with Retry-After, even with the right password")
    func signInRateLimited() async throws {
        let s = try await SignedInServer()
        try s.access.setUser(name: "dana", role: .csm, book: ["Dana Reyes"], password: "correct horse battery", now: 1)
        for _ in 0..<5 { #expect(try await s.signIn("dana", "guess guess guess").reply.status == 401) }
        let limited = try await s.signIn("dana", "correct horse battery")
        #expect(limited.reply.status == 429 && limited.cookie == nil && Int(limited.reply.header("Retry-After") ?? "") ?? 0 > 0)
        try await s.server.stop()
    }

    @Test("A form posted from another site is refused before its password is checked")
    func signInForgery() async throws {
        let s = try await SignedInServer()
        let page = try await s.request("GET", "/sign-in")
        let csrf = try #require(page.text.firstMatch(of: /name="csrf" value="([0-9a-f]+)"/)?.1)
        let cross = try await s.request("POST", "/sign-in", headers: [("Sec-Fetch-Site", "cross-site")], form: "csrf=\(csrf)&name=a&password=b")
        #expect(cross.status == 403)
        let noToken = try await s.request("POST", "/sign-in", form: "name=a&password=b")
        #expect(noToken.status == 403)
        try await s.server.stop()
    }

    @Test("A trusted reverse proxy's user header signs a person in with their account's role; from another address it is refused")
    func proxyHeader() async throws {
        for (trusted, believed) in [("127.0.0.1", true), ("127.0.0.2", false)] {
            let s = try await SignedInServer { $0.proxyUserHeader = "X-Forwarded-User"; $0.trustedProxies = [trusted] }
            try s.access.setUser(name: "lee", role: .csm, book: ["Lee Park"], password: nil, now: 1)
            let page = try await s.request("GET", "/accounts/globex", headers: [("X-Forwarded-User", "lee")])
            let api = try await s.request("GET", "/v1/accounts/globex/context", headers: [("X-Forwarded-User", "lee")])
            if believed {
                #expect(page.status == 200 && page.text.contains("lee · csm") && page.text.contains("id=\"note-form\""))
                #expect(api.status == 200)
                let stranger = try await s.request("GET", "/v1/accounts", headers: [("X-Forwarded-User", "mallory")])
                #expect(stranger.status == 401 && stranger.text.contains("has no account here"))
            } else {
                #expect(page.status == 303)
                #expect(api.status == 401 && api.text.contains("taken only from the trusted proxies"))
            }
            // An account without a password signs in through the proxy only.
            #expect(try s.access.signIn(name: "lee", password: "") == nil)
            try await s.server.stop()
        }
    }

    @Test("The audit trail names who read which account (token, local user on the socket), refusals too, and only admins read it")
    func auditTrail() async throws {
        let s = try await SignedInServer()
        #expect(try await s.request("GET", "/v1/accounts/acme/timeline?limit=1", token: s.tokens[.viewer]).status == 200)
        #expect(try await s.request("GET", "/v1/data-quality", token: s.tokens[.viewer]).status == 403)
        #expect(try await s.server.get("/v1/accounts/globex/context").status == 200)
        let created = try await CLI.run(["tokens", "create", "--data", s.server.data, "--name", "late", "--role", "viewer"])
        #expect(created.status == 0)
        #expect(try await s.request("GET", "/v1/audit", token: s.tokens[.ops]).status == 403)
        let reply = try await s.request("GET", "/v1/audit?limit=1000", token: s.tokens[.admin])
        #expect(reply.status == 200)
        guard case .array(let entries)? = try json(reply)["entries"] else { throw TestFailure(reply.text) }
        func has(_ principal: String, _ action: String, _ request: String, account: String?, status: Int) -> Bool {
            entries.contains { e in
                e["principal"]?.scalarText == principal && e["action"]?.scalarText == action && (e["request"]?.scalarText ?? "").hasPrefix(request)
                    && e["account"]?.scalarText == account && int(e["status"]) == status
            }
        }
        #expect(has("token:t-viewer", "read", "GET /v1/accounts/acme/timeline", account: "acme", status: 200), "\(reply.text)")
        #expect(has("token:t-viewer", "operate", "GET /v1/data-quality", account: nil, status: 403))
        #expect(has(LocalUser.current, "read", "GET /v1/accounts/globex/context", account: "globex", status: 200), "\(reply.text)")
        #expect(has(LocalUser.current, "token.created", "throughline tokens create", account: nil, status: 0))
        #expect(has("token:t-ops", "administer", "GET /v1/audit", account: nil, status: 403))
        // By account, through the page too.
        let page = try await s.request("GET", "/audit?account=acme", token: s.tokens[.admin])
        #expect(page.status == 200 && page.text.contains("token:t-viewer") && !page.text.contains("globex/context"))
        let cli = try await CLI.run(["audit", "--data", s.server.data, "--principal", "token:t-viewer"])
        #expect(cli.status == 0 && cli.stdout.contains("GET /v1/accounts/acme/timeline") && !cli.stdout.contains("globex"))
        try await s.server.stop()
    }

    @Test("TLS on the TCP listener: HTTPS with the given certificate, plain HTTP refused, the session cookie marked Secure")
    func tls() async throws {
        let certs = TempDir()
        let made = try await CLI.run(program: "openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", certs.path + "/key.pem",
                                                          "-out", certs.path + "/cert.pem", "-days", "2", "-subj", "/CN=localhost",
                                                          "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"])
        #expect(made.status == 0, "\(made.stderr)")
        let s = try await SignedInServer { $0.tls = (certs.path + "/cert.pem", certs.path + "/key.pem") }
        try s.access.setUser(name: "dana", role: .csm, book: ["Dana Reyes"], password: "correct horse battery", now: 1)
        let port = try await s.server.tcpPort()
        let base = "https://127.0.0.1:\(port)"
        func curl(_ args: [String]) async throws -> CLI.Result {
            try await CLI.run(program: "curl", ["-s", "--max-time", "20", "--cacert", certs.path + "/cert.pem"] + args)
        }
        let health = try await curl(["-w", "%{http_code}", "-o", "/dev/null", base + "/v1/health"])
        #expect(health.stdout == "200", "\(health.stderr)")
        let api = try await curl(["-H", "Authorization: Bearer " + s.tokens[.viewer]!, base + "/v1/accounts"])
        #expect(api.stdout.contains("globex"))
        // The form, then the sign-in: the cookie is Secure over HTTPS.
        let form = try await curl([base + "/sign-in"])
        let csrf = try #require(form.stdout.firstMatch(of: /name="csrf" value="([0-9a-f]+)"/)?.1)
        let signIn = try await curl(["-i", "--data", "csrf=\(csrf)&next=%2F&name=dana&password=correct+horse+battery", base + "/sign-in"])
        let cookie = try #require(signIn.stdout.split(separator: "\r\n").first { $0.lowercased().hasPrefix("set-cookie:") })
        #expect(cookie.contains("; Secure") && cookie.contains("HttpOnly"), "\(signIn.stdout)")
        // Plain HTTP to the TLS port gets no answer of the API.
        let plain = try? await HTTPConnection.request(s.tcp, "GET", "/v1/health")
        #expect(plain?.status != 200)
        try await s.server.stop()
        // A key that is not one is named at start.
        let bad = TempDir()
        #expect(throws: (any Error).self) { try ThroughlineServer.tlsConfiguration((certs.path + "/cert.pem", bad.path + "/missing.pem")) }
    }

    @Test("An ID token from the configured provider signs its person in with their account's role; a bad one is 401 naming why")
    func oidcBearer() async throws {
        let keys = TempDir()
        let provider = TestProvider()
        let jwks = try provider.publish(in: keys.path)
        let s = try await SignedInServer { $0.oidc = .init(jwksFile: jwks, issuer: provider.issuer, audience: "throughline") }
        try s.access.setUser(name: "dana@example.test", role: .csm, book: ["Dana Reyes"], password: nil, now: 1)
        let good = try await s.request("GET", "/v1/accounts/acme/context", token: try await provider.token())
        #expect(good.status == 200)
        let expired = try await s.request("GET", "/v1/accounts/acme/context", token: try await provider.token(expires: Date().addingTimeInterval(-60)))
        #expect(expired.status == 401 && expired.text.contains("ID token is refused"))
        let forged = try await s.request("GET", "/v1/accounts/acme/context", token: try await provider.token(signedBy: .init()))
        #expect(forged.status == 401 && forged.text.contains("signature"))
        let stranger = try await s.request("GET", "/v1/accounts/acme/context", token: try await provider.token(email: "eve@example.test"))
        #expect(stranger.status == 401 && stranger.text.contains("has no account here"))
        // A CSM's ID token may not operate; the audit trail names the oidc principal.
        #expect(try await s.request("GET", "/v1/data-quality", token: try await provider.token()).status == 403)
        let audit = try await s.request("GET", "/v1/audit?principal=oidc:dana@example.test", token: s.tokens[.admin])
        #expect(audit.text.contains("/v1/accounts/acme/context"))
        try await s.server.stop()
    }

    @Test("Path tricks reach no route a role may not call and no file: dot segments, doubled and encoded separators, case, trailing slashes")
    func pathTricks() async throws {
        let s = try await SignedInServer()
        let viewer = s.tokens[.viewer]!
        let ops = ["/v1//audit", "/v1/./audit", "/v1/audit/", "/V1/audit", "/v1/%61udit", "//v1/audit", "/v1/accounts/../audit", "/v1/accounts/%2e%2e/audit",
                   "/v1/data-quality/", "/v1/%64ata-quality", "/audit/", "/x/../audit", "/replays/..%2F..%2Faccess.sqlite", "/replays/%2e%2e",
                   "/replays/..", "/accounts/..%2F..%2Faudit.sqlite"]
        for path in ops {
            let reply = try await s.request("GET", path, token: viewer)
            #expect(reply.status == 403 || reply.status == 404 || reply.status == 400, "\(path): \(reply.status) \(reply.text.prefix(120))")
            #expect(!reply.text.contains("\"entries\"") && !reply.text.contains("SQLite format"), "\(path)")
        }
        // An account id with an encoded separator is one id, not a path: unknown, so 404.
        for path in ["/v1/accounts/acme%2F..%2Fglobex/context", "/v1/accounts/..%2Fglobex/timeline", "/accounts/acme%2F..%2Fglobex"] {
            let reply = try await s.request("GET", path, token: viewer)
            #expect(reply.status == 404, "\(path): \(reply.status)")
        }
        // A producer cannot read by the same tricks.
        for path in ["/v1/accounts/acme/timeline/", "/v1//accounts/acme/timeline", "/v1/accounts/acme//timeline"] {
            let reply = try await s.request("GET", path, token: s.tokens[.producer])
            #expect(reply.status == 403 || reply.status == 404, "\(path): \(reply.status)")
            #expect(!reply.text.contains("\"items\""), "\(path)")
        }
        try await s.server.stop()
    }

    @Test("Listening beyond loopback needs a user or a token, and TLS, unless --insecure-listen")
    func nonLoopbackNeedsSignIn() async throws {
        let dir = TempDir()
        #expect(throws: (any Error).self) { try ThroughlineServer.checkListener(Self.options(dir, insecure: false), signIn: false) }
        let noTLS = #expect(throws: (any Error).self) { try ThroughlineServer.checkListener(Self.options(dir, insecure: false), signIn: true) }
        #expect("\(noTLS!)".contains("no TLS"))
        #expect(throws: Never.self) { try ThroughlineServer.checkListener(Self.options(dir, insecure: true), signIn: true) }
        var withTLS = Self.options(dir, insecure: false)
        withTLS.tls = ("cert.pem", "key.pem")
        #expect(throws: Never.self) { try ThroughlineServer.checkListener(withTLS, signIn: true) }
        #expect(throws: (any Error).self) { try ThroughlineServer.checkListener(withTLS, signIn: false) }
    }

    static func options(_ dir: TempDir, insecure: Bool) -> ServerOptions {
        var o = ServerOptions(socketPath: dir.path + "/s.sock")
        o.listen = ("0.0.0.0", 0)
        o.insecureListen = insecure
        return o
    }
}
