import Foundation
import EventLog

/// Where a log kept in PostgreSQL lives, from a `postgres://` URL in libpq's form:
/// `postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE`, or a Unix socket directory as
/// `postgres://USER@/DATABASE?host=/run/postgresql` (the socket is `DIR/.s.PGSQL.PORT`).
public struct PostgresAddress: Sendable, Equatable, CustomStringConvertible {
    public var user: String
    public var password: String?
    public var database: String
    /// A TCP host, or nil for a Unix socket.
    public var host: String?
    public var port: Int
    /// The directory of the server's Unix socket, when `host` is nil.
    public var socketDirectory: String

    /// True when `text` names a PostgreSQL log rather than a directory.
    public static func isURL(_ text: String) -> Bool { text.hasPrefix("postgres://") || text.hasPrefix("postgresql://") }

    /// Parses `url`; a malformed one is a `StoreError(.invalid)` naming the part that is wrong.
    public init(_ url: String) throws(StoreError) {
        guard Self.isURL(url), let c = URLComponents(string: url) else {
            throw StoreError(.invalid, "not a PostgreSQL URL: \(Self.masked(url)) (expected postgres://USER@HOST[:PORT]/DATABASE or postgres://USER@/DATABASE?host=/socket/dir)")
        }
        guard let user = c.user, !user.isEmpty else { throw StoreError(.invalid, "\(Self.masked(url)): no user (postgres://USER@…)") }
        let database = String(c.path.drop { $0 == "/" })
        guard !database.isEmpty, !database.contains("/") else { throw StoreError(.invalid, "\(Self.masked(url)): no database name (…/DATABASE)") }
        self.user = user
        password = c.password
        self.database = database
        port = c.port ?? 5432
        let hostParameter = c.queryItems?.first { $0.name == "host" }?.value
        let host = hostParameter ?? c.host.flatMap { $0.isEmpty ? nil : $0.removingPercentEncoding }
        if let host, host.hasPrefix("/") {
            self.host = nil
            socketDirectory = host
        } else {
            self.host = host
            socketDirectory = "/var/run/postgresql"
        }
        if let unknown = c.queryItems?.first(where: { $0.name != "host" }) {
            throw StoreError(.invalid, "\(Self.masked(url)): unknown parameter \(unknown.name) (only host=/socket/dir is read)")
        }
    }

    /// The server's socket file, when it is reached over a Unix socket.
    public var socketPath: String? { host == nil ? socketDirectory + "/.s.PGSQL.\(port)" : nil }

    /// The URL without its password, for messages.
    public var description: String {
        let place = host.map { "\($0):\(port)" } ?? ""
        return "postgres://\(user)@\(place)/\(database)" + (host == nil ? "?host=\(socketDirectory)" : "")
    }

    private static func masked(_ url: String) -> String {
        guard let scheme = url.range(of: "://"), let at = url[scheme.upperBound...].firstIndex(of: "@"),
              let colon = url[scheme.upperBound..<at].firstIndex(of: ":") else { return url }
        return String(url[...colon]) + "***" + String(url[at...])
    }
}
