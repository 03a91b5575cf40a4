import Access
import Foundation
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle
import ThroughlineCore

/// Records every request that does something (every action but `.open`) in the audit trail:
/// who (the principal, or on the socket the local user its peer credentials name), what (the
/// action and the request line), about which account, the answer's status, from where.
struct AuditRecorder: RouterMiddleware {
    typealias Context = ServerContext
    let trail: AuditTrail
    let clock: WallClock

    func handle(_ request: Request, context: ServerContext, next: (Request, ServerContext) async throws -> Response) async throws -> Response {
        let action = Endpoints.action(of: request.uri.path, request.method)
        guard action != .open else { return try await next(request, context) }
        let response = try await next(request, context)
        trail.record(AuditTrail.Entry(time: clock.now(), principal: await Self.who(context), action: action.rawValue, request: "\(request.method.rawValue) \(request.uri.string)",
                                      account: Self.account(request.uri.path), status: response.status.code,
                                      address: context.onSocket ? "socket" : context.clientAddress))
        return response
    }

    /// Who sent the request: the principal, or on the socket the local user its peer
    /// credentials name.
    static func who(_ context: ServerContext) async -> String {
        if let principal = context.principal { return principal.label }
        return context.onSocket ? await PeerCredentials.label(context.channel) : "anonymous"
    }

    /// The account a request's path is about (`/v1/accounts/{id}/…`, `/accounts/{id}…`), decoded.
    static func account(_ path: String) -> String? {
        let parts = path.split(separator: "/", omittingEmptySubsequences: false)
        let at = parts.count > 3 && parts[1] == "v1" && parts[2] == "accounts" ? 3 : parts.count > 2 && parts[1] == "accounts" ? 2 : nil
        guard let at, !parts[at].isEmpty else { return nil }
        return String(parts[at]).removingPercentEncoding ?? String(parts[at])
    }
}

/// Writes the audit trail's queued entries every 200 ms on a read thread, and once more at stop.
struct AuditService: Service {
    let trail: AuditTrail
    let pool: ReadPool
    let logger: Logger

    func run() async throws {
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            try? await Task.sleep(for: .milliseconds(200))
            await flush()
        }
        await flush()
    }

    func flush() async {
        do { _ = try await pool.run { try trail.flush() } } catch {
            logger.error("the audit trail cannot be written; its entries are kept and tried again", metadata: ["error": "\(error)"])
        }
    }
}

/// Who is on the other end of a Unix socket connection (`SO_PEERCRED`): the local user the audit
/// trail names for a request on the socket.
enum PeerCredentials {
    /// `struct ucred`: process, user and group ids.
    struct Credentials: Sendable {
        var pid: Int32 = 0
        var uid: UInt32 = 0
        var gid: UInt32 = 0
    }

    static func label(_ channel: (any Channel)?) async -> String {
        guard let provider = channel as? any SocketOptionProvider,
              let c: Credentials = try? await provider.unsafeGetSocketOption(level: SocketOptionLevel(SOL_SOCKET), name: SocketOptionName(SO_PEERCRED)).get()
        else { return "local:unknown" }
        return "local:" + LocalUser.name(c.uid)
    }
}
