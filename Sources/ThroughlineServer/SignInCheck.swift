import Access
import HTTPTypes
import Hummingbird
import ThroughlineCore

/// Who may use the TCP listener, and what. Until the store has a user or a token the listener
/// is open, as before (it listens on loopback only unless the operator accepted the risk); from
/// then on every request other than health and the sign-in page names a principal, a bearer
/// token (`Authorization: Bearer tl_…`) or a page session's cookie, and the route's action
/// must be one its role may do (`Role.may`). This middleware finds the principal; each route
/// checks its own action (`refusal`), so the check follows the route the router matched.
struct SignInCheck: RouterMiddleware {
    typealias Context = ServerContext
    let access: AccessStore
    let sessions: SessionTable
    let clock: WallClock
    /// The reverse proxy's user header, and the addresses it is taken from.
    let proxyHeader: HTTPField.Name?
    let trustedProxies: Set<String>
    /// Whether the listener serves TLS itself.
    let tls: Bool

    /// ID tokens' verifier, when the server takes them.
    let oidc: OIDCVerifier?

    init(access: AccessStore, sessions: SessionTable, options: ServerOptions, oidc: OIDCVerifier?) {
        (self.access, self.sessions, clock, self.oidc) = (access, sessions, options.clock, oidc)
        proxyHeader = options.proxyUserHeader.flatMap { HTTPField.Name($0) }
        trustedProxies = Set(options.trustedProxies)
        tls = options.tls != nil
    }

    func handle(_ request: Request, context: ServerContext, next: (Request, ServerContext) async throws -> Response) async throws -> Response {
        var context = context
        // One look at the access store's files serves the request.
        let stamp = access.stamp()
        do { context.signInRequired = try proxyHeader != nil || oidc != nil || access.hasPrincipals(at: stamp) } catch { return Reply.error(.serviceUnavailable, "\(error)") }
        if context.signInRequired {
            let fromProxy = trustedProxies.contains(context.clientAddress)
            context.isSecure = tls || (fromProxy && request.headers[HTTPField.Name("X-Forwarded-Proto")!]?.lowercased() == "https")
            let found = try await principal(request, fromProxy: fromProxy, address: context.clientAddress, stamp: stamp)
            (context.principal, context.sessionCSRF, context.credentialProblem) = found
        }
        return try await next(request, context)
    }

    /// Why a request may not do `action`, as the answer to give; nil when it may.
    static func refusal(_ action: Action, _ request: Request, _ context: ServerContext) -> Response? {
        guard context.signInRequired, action != .open else { return nil }
        guard let principal = context.principal else {
            return unsigned(request, context.credentialProblem ?? "sign in first: send a bearer token (Authorization: Bearer …) or sign in at /sign-in")
        }
        guard principal.role.may(action) else {
            return Reply.error(.forbidden, "\(principal.label) has the role \(principal.role.rawValue), which may not \(action.verb) "
                               + "(\(request.method.rawValue) \(request.uri.path)); see the roles table in the README")
        }
        return nil
    }

    /// The principal a request names, the session's form token, or why none was accepted.
    func principal(_ request: Request, fromProxy: Bool, address: String, stamp: FileStamp?) async throws -> (principal: Principal?, csrf: String?, problem: String?) {
        let now = clock.now()
        if let proxyHeader, let name = request.headers[proxyHeader] {
            guard fromProxy else {
                return (nil, nil, "\(proxyHeader) is taken only from the trusted proxies (--trusted-proxy); this request came from \(address)")
            }
            return try signedInElsewhere(name.trimmingSpaces, as: .proxy, by: "the proxy signed in")
        }
        if let header = request.headers[.authorization] {
            guard header.count > 7, header.prefix(7).lowercased() == "bearer " else {
                return (nil, nil, "the Authorization header is not `Bearer TOKEN`")
            }
            let secret = String(header.dropFirst(7)).trimmingSpaces
            if let oidc, OIDCVerifier.looksLikeJWT(secret) {
                switch await oidc.user(of: secret) {
                case .failure(let problem): return (nil, nil, problem.description)
                case .success(let name): return try signedInElsewhere(name, as: .oidc, by: "the ID token names")
                }
            }
            guard let principal = try access.principal(token: secret, at: stamp) else {
                return (nil, nil, "the bearer token is unknown or revoked")
            }
            return (principal, nil, nil)
        }
        if let id = SessionTable.id(inCookieHeader: request.headers[.cookie]) {
            guard let session = sessions.session(id, now: now) else {
                return (nil, nil, "your session has ended (it expired, you signed out, or the server restarted); sign in again")
            }
            guard let principal = try access.user(session.user) else {
                sessions.close(id)
                return (nil, nil, "the account \(session.user) no longer exists")
            }
            return (principal, session.csrf, nil)
        }
        return (nil, nil, nil)
    }

    /// A person another party signed in (a trusted proxy, an identity provider), with their local
    /// account's role and book; or why not, when they have no account here.
    func signedInElsewhere(_ name: String, as kind: Principal.Kind, by party: String) throws -> (principal: Principal?, csrf: String?, problem: String?) {
        guard var principal = try access.user(name) else {
            return (nil, nil, "\(party) \(name), who has no account here; an admin adds them with "
                    + "`throughline users add \(name) --role ROLE --no-password`")
        }
        principal.kind = kind
        return (principal, nil, nil)
    }

    /// 401 for the API; a page (a GET a browser makes) goes to the sign-in page and back.
    static func unsigned(_ request: Request, _ message: String) -> Response {
        let path = request.uri.path
        if request.method == .get, !path.hasPrefix("/v1/"), path != "/metrics" {
            var response = Response(status: .seeOther)
            response.headers[.location] = "/sign-in" + queryString([("next", request.uri.string)])
            return response
        }
        var response = Reply.error(.unauthorized, message)
        response.headers[.wwwAuthenticate] = "Bearer realm=\"throughline\""
        return response
    }
}

extension Action {
    /// The words a refusal uses.
    var verb: String {
        switch self {
        case .open: "open this"
        case .append: "append events"
        case .read: "read accounts"
        case .annotate: "add notes or overrides"
        case .operate: "operate the scoring (rules, replays, data quality, metrics)"
        case .administer: "administer (tokens, users, erasure, audit)"
        }
    }
}
