import Hummingbird
import NIOCore
import ThroughlineCore

/// The request context of every route: Hummingbird's own, plus who sent the request (set by
/// `SignInCheck` on TCP; on the Unix socket the audit trail asks the connection's credentials)
/// and the address it came from.
struct ServerContext: RequestContext {
    var coreContext: CoreRequestContextStorage
    /// The peer's address (nil on the Unix socket), and its connection (for its credentials).
    let remoteAddress: SocketAddress?
    let channel: (any Channel)?
    /// Who sent the request; nil on an open listener (no user or token exists yet).
    var principal: Principal?
    /// Whether this listener asks for sign-in (TCP, once a user or a token exists).
    var signInRequired = false
    /// Why the credentials the request came with were not accepted, if they were not.
    var credentialProblem: String?
    /// The anti-forgery token of the page session the request came with, if any.
    var sessionCSRF: String?
    /// Whether the request came over HTTPS (session cookies are then marked Secure).
    var isSecure = false

    init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress
        channel = source.channel
    }

    /// The peer's IP address as text, for rate limits and the audit trail.
    var clientAddress: String { remoteAddress?.ipAddress ?? "local" }

    /// Whether the request came on the Unix socket.
    var onSocket: Bool { remoteAddress?.ipAddress == nil }
}
