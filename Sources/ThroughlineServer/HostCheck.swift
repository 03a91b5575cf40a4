import HTTPTypes
import Hummingbird

/// The names of this machine's loopback interface.
enum Loopback {
    static let names: Set<String> = ["localhost", "127.0.0.1", "::1"]
}

/// Guards the TCP listener against DNS rebinding: a page on another site whose name resolves to
/// this machine reaches the listener with its own name in `Host`, so a request is answered only
/// when `Host` names this server (loopback names, the listen address, or a name the operator
/// allowed with `--allow-host`). The Unix socket is not behind it: its clients are local
/// programs, which name any host.
struct HostCheck<Context: RequestContext>: RouterMiddleware {
    /// Lower-case host names, without ports.
    let allowed: Set<String>

    init(listenHost: String, extra: [String]) {
        allowed = Loopback.names.union([listenHost.lowercased()]).union(extra.map { $0.lowercased() })
    }

    /// The host part of a `Host` header: `name:port`, `[v6]:port` or a bare name.
    static func hostName(_ header: String) -> String {
        if header.hasPrefix("["), let end = header.firstIndex(of: "]") {
            return String(header[header.index(after: header.startIndex)..<end]).lowercased()
        }
        return String(header.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)[0]).lowercased()
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let host = request.head.authority ?? ""
        guard allowed.contains(Self.hostName(host)) else {
            var response = Reply.error(.misdirectedRequest, "Host \(host.isEmpty ? "(none)" : host) is not a name of this server; "
                                       + "the operator can allow it with --allow-host")
            AnswerMiddleware<Context>.secure(&response.headers)
            return response
        }
        return try await next(request, context)
    }
}
