import EventLog
import HTTPTypes
import Hummingbird
import Projections
import Scoring

/// The one place where the modules' errors become HTTP answers: which status, whether the
/// caller may read the message (a request it can fix) or only a generic line (the server's log
/// has the rest: paths, SQL), and when to come back.
struct ErrorStatus {
    let status: HTTPResponse.Status
    /// The message the caller may see; nil for an error whose text stays in the server's log.
    let message: String?
    /// Seconds for `Retry-After`, when waiting will help.
    let retryAfter: Int?

    init(_ status: HTTPResponse.Status, _ message: String?, retryAfter: Int? = nil) {
        self.status = status
        self.message = message
        self.retryAfter = retryAfter
    }

    static func of(_ error: Error) -> ErrorStatus {
        switch error {
        case let e as Query.Problem: ErrorStatus(.badRequest, e.message)
        case let e as RulesError: ErrorStatus(.badRequest, e.description)
        case let e as ReadModelError:
            switch e.kind {
            case .invalidArgument: ErrorStatus(.badRequest, e.message)
            case .notFound: ErrorStatus(.notFound, e.message)
            case .damaged, .io: ErrorStatus(.internalServerError, nil)
            }
        case let e as StoreError:
            switch e.kind {
            case .invalid: ErrorStatus(.badRequest, e.message)
            case .full: ErrorStatus(.serviceUnavailable, "no space left on the server's disk; send it again once space is freed",
                                    retryAfter: 5)
            case .unavailable: ErrorStatus(.serviceUnavailable, "the log's database cannot be reached; send it again shortly", retryAfter: 2)
            case .closed, .locked: ErrorStatus(.serviceUnavailable, "the server is stopping; send it again shortly", retryAfter: 1)
            case .corrupt, .io, .failed: ErrorStatus(.internalServerError, nil)
            }
        default: ErrorStatus(.internalServerError, nil)
        }
    }

    /// True for an error the server's log should record (the caller did nothing wrong).
    var isServers: Bool { status.code >= 500 }

    /// The JSON answer.
    var response: Response {
        let text = message ?? "the server could not answer this request; the server's log says why"
        return retryAfter.map { Reply.unavailable(text, retryAfter: $0) } ?? Reply.error(status, text)
    }
}
