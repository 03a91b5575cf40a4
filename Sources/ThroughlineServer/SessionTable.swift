import Access
import Synchronization
import ThroughlineCore

/// The pages' sign-in sessions, in memory: a session is a random id in an HttpOnly cookie that
/// names a local account; it ends when it expires, when its person signs out, when the account
/// is removed, or when the server restarts (a cookie from another start names no session).
/// Each session has its own anti-forgery token for the pages' forms.
final class SessionTable: Sendable {
    struct Session: Sendable {
        let user: String
        let expires: Int64
        /// The forms' anti-forgery token of this session.
        let csrf: String
    }

    static let cookieName = "throughline_session"
    /// How long a sign-in lasts, in microseconds.
    let lifetime: Int64
    private let sessions = Mutex<[String: Session]>([:])

    init(lifetimeSeconds: Int64) { lifetime = lifetimeSeconds * 1_000_000 }

    /// Opens a session for `user` and returns its id (the cookie's value).
    func open(user: String, now: Int64) -> (id: String, session: Session) {
        let id = RandomText.hex(32)
        let session = Session(user: user, expires: now + lifetime, csrf: RandomText.hex(16))
        sessions.withLock { table in
            table = table.filter { $0.value.expires > now }
            table[id] = session
        }
        return (id, session)
    }

    /// The live session with this id, or nil (unknown, from another start, or expired).
    func session(_ id: String, now: Int64) -> Session? {
        sessions.withLock { table in
            guard let s = table[id] else { return nil }
            guard s.expires > now else { table[id] = nil; return nil }
            return s
        }
    }

    func close(_ id: String) { _ = sessions.withLock { $0.removeValue(forKey: id) } }

    /// The session id a request's `Cookie` header carries, if any.
    static func id(inCookieHeader header: String?) -> String? {
        guard let header else { return nil }
        for part in header.split(separator: ";") {
            let pair = part.split(separator: "=", maxSplits: 1)
            if pair.count == 2, pair[0].trimmingSpaces == cookieName { return String(pair[1].trimmingSpaces) }
        }
        return nil
    }

    /// The `Set-Cookie` value that opens a session (`secure`: only over HTTPS).
    func cookie(_ id: String, secure: Bool) -> String {
        "\(Self.cookieName)=\(id); Path=/; Max-Age=\(lifetime / 1_000_000); HttpOnly; SameSite=Lax" + (secure ? "; Secure" : "")
    }

    /// The `Set-Cookie` value that ends one in the browser.
    static func expiredCookie(secure: Bool) -> String {
        "\(cookieName)=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax" + (secure ? "; Secure" : "")
    }
}

/// Sign-in attempts, limited: after `limit` failures within `window` for one user name or from
/// one address, further attempts for it are refused until the oldest failure ages out, so a
/// password cannot be guessed at bcrypt's pace, nor many accounts tried from one place.
final class SignInLimiter: Sendable {
    let limit: Int
    let window: Int64
    private let failures = Mutex<[String: [Int64]]>([:])

    init(limit: Int = 5, windowSeconds: Int64 = 900) { (self.limit, self.window) = (limit, windowSeconds * 1_000_000) }

    /// Seconds until an attempt for `keys` may be made again; nil when it may be made now.
    func wait(_ keys: [String], now: Int64) -> Int64? {
        failures.withLock { table in
            var longest: Int64?
            for key in keys {
                let recent = (table[key] ?? []).filter { $0 > now - window }
                table[key] = recent.isEmpty ? nil : recent
                if recent.count >= limit {
                    let seconds = (recent[recent.count - limit] + window - now) / 1_000_000 + 1
                    longest = max(longest ?? 0, seconds)
                }
            }
            return longest
        }
    }

    func failed(_ keys: [String], now: Int64) {
        failures.withLock { table in for key in keys { table[key, default: []].append(now) } }
    }

    func succeeded(_ keys: [String]) {
        failures.withLock { table in for key in keys { table[key] = nil } }
    }
}
