import Access
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import ThroughlineCore
import WebPages

/// `GET /sign-in`, `POST /sign-in` and `POST /sign-out`: a person signs in to the pages with a
/// local account. The form is guarded like the pages' other forms (same-site only, a token),
/// attempts are limited per name and per address (`SignInLimiter`), and a success opens a
/// session (`SessionTable`) whose cookie is HttpOnly, SameSite and, over HTTPS, Secure.
struct SignInRoutes: Sendable {
    let access: AccessStore
    let sessions: SessionTable
    let limiter: SignInLimiter
    let pool: ReadPool
    let clock: WallClock
    let logger: Logger
    let audit: AuditTrail
    /// The sign-in form's token: the form has no session yet, so one per server start.
    let csrf = RandomText.hex(16)

    struct Form: Decodable {
        var csrf: String?
        var next: String?
        var name: String?
        var password: String?
    }

    func form(_ request: Request) -> Response {
        let next = request.uri.queryParameters["next"].map(String.init) ?? "/"
        return PageRoutes.html(.ok, SignInPage.render(next: Self.safeNext(next), csrf: csrf))
    }

    func signIn(_ request: Request, _ context: ServerContext) async throws -> Response {
        if let refusal = PageRoutes.forgeryRefusal(request) { return PageRoutes.html(.forbidden, HTML.problem("Refused", refusal)) }
        let body = try await request.body.collect(upTo: 16 * 1024)
        guard let form = try? URLEncodedFormDecoder().decode(Form.self, from: String(buffer: body)) else {
            return PageRoutes.html(.badRequest, HTML.problem("Sign in", "the form could not be read"))
        }
        let next = Self.safeNext(form.next ?? "/")
        guard form.csrf == csrf else {
            return PageRoutes.html(.forbidden, SignInPage.render(next: next, csrf: csrf, problem: "the form is out of date (the server restarted?); sign in again"))
        }
        let name = (form.name ?? "").trimmingSpaces, password = form.password ?? ""
        let keys = ["user:" + name.lowercased(), "address:" + context.clientAddress]
        let now = clock.now()
        if let wait = limiter.wait(keys, now: now) {
            var response = PageRoutes.html(.tooManyRequests, SignInPage.render(
                next: next, csrf: csrf, problem: "too many failed sign-ins for this name or from this address; try again in \(wait) s", name: name))
            response.headers[.retryAfter] = "\(wait)"
            return response
        }
        let principal = try await pool.run { try access.signIn(name: name, password: password) }
        guard let principal else {
            limiter.failed(keys, now: now)
            audit.record(AuditTrail.Entry(time: now, principal: "user:" + name, action: "sign-in.refused", request: "POST /sign-in", status: 401,
                                          address: context.clientAddress))
            logger.notice("sign-in refused", metadata: ["user": "\(name)", "address": "\(context.clientAddress)"])
            return PageRoutes.html(.unauthorized, SignInPage.render(next: next, csrf: csrf, problem: "the name or the password is wrong", name: name))
        }
        limiter.succeeded(["user:" + name.lowercased()])
        let (id, _) = sessions.open(user: principal.name, now: now)
        audit.record(AuditTrail.Entry(time: now, principal: principal.label, action: "sign-in", request: "POST /sign-in", status: 303,
                                      address: context.clientAddress))
        logger.notice("signed in", metadata: ["user": "\(principal.name)", "role": "\(principal.role.rawValue)", "address": "\(context.clientAddress)"])
        var response = Response(status: .seeOther)
        response.headers[.location] = next
        response.headers[.setCookie] = sessions.cookie(id, secure: context.isSecure)
        return response
    }

    func signOut(_ request: Request, _ context: ServerContext) async throws -> Response {
        if let refusal = PageRoutes.forgeryRefusal(request) { return PageRoutes.html(.forbidden, HTML.problem("Refused", refusal)) }
        let body = try await request.body.collect(upTo: 16 * 1024)
        let form = try? URLEncodedFormDecoder().decode(Form.self, from: String(buffer: body))
        if let id = SessionTable.id(inCookieHeader: request.headers[.cookie]), let session = sessions.session(id, now: clock.now()) {
            guard form?.csrf == session.csrf else {
                return PageRoutes.html(.forbidden, HTML.problem("Refused", "the sign-out form's token is not this session's; reload the page and sign out again"))
            }
            sessions.close(id)
        }
        var response = Response(status: .seeOther)
        response.headers[.location] = "/sign-in"
        response.headers[.setCookie] = SessionTable.expiredCookie(secure: context.isSecure)
        return response
    }

    /// A page on this server to go back to after signing in: a path, never another site.
    static func safeNext(_ next: String) -> String {
        next.hasPrefix("/") && !next.hasPrefix("//") && !next.hasPrefix("/\\") ? next : "/"
    }
}
