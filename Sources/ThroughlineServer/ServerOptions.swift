import Access
import EventLog
import Scoring
import ThroughlineCore

/// How `throughline serve` runs; the defaults suit production.
public struct ServerOptions: Sendable {
    /// The Unix socket (default `DATA/throughline.sock`).
    public var socketPath: String
    /// The log kept outside this process (`--log postgres://…`), which other nodes serve too;
    /// the data directory then holds this node's read models and the rest of its own files.
    public var sharedLog: (any SharedLog)?
    /// File mode of the socket (who may connect).
    public var socketMode: UInt32 = 0o660
    /// Group to give the socket to, if any.
    public var socketGroup: String?
    /// Optional TCP listener: host and port (port 0 picks a free one).
    public var listen: (host: String, port: Int)?
    /// More names the TCP listener answers to in `Host` (beside loopback and its own address).
    public var allowedHosts: [String] = []
    /// Serve TCP on an address other than loopback without TLS or sign-in (`--insecure-listen`):
    /// anyone who reaches it reads every account and can add notes. Refused at start otherwise.
    public var insecureListen = false
    /// Sign-in with OpenID Connect ID tokens (JWTs) as bearer tokens, verified against the
    /// provider's key set (`--oidc-jwks`, `--oidc-issuer`, `--oidc-audience`).
    public var oidc: OIDCVerifier.Configuration?
    /// TLS on the TCP listener (`--tls-cert`, `--tls-key`): PEM files of the certificate chain and
    /// its private key, read at start.
    public var tls: (certificate: String, key: String)?
    /// Sign-in by a reverse proxy (`--proxy-user-header`): the header in which the proxy names the
    /// person it signed in, taken only from `trustedProxies` (their IP addresses). The person's
    /// role and book are their local account's (`throughline users add NAME --role R --no-password`).
    public var proxyUserHeader: String?
    public var trustedProxies: [String] = []
    /// How long a sign-in to the pages lasts.
    public var sessionSeconds: Int64 = 12 * 3600
    /// Largest request body; a larger one is answered 413.
    public var maxBodyBytes = 1 << 30
    /// Largest single event line.
    public var maxLineBytes = 1 << 20
    /// Events decoded and committed per step of one request.
    public var batchSize = 4096
    /// Ingest requests served at once, and how many more may wait, for how long, before 503.
    public var maxActiveIngests = 16
    public var maxWaitingIngests = 64
    public var maxIngestWait: Duration = .seconds(30)
    /// How long the projector waits at most, before each batch, while appends are being served:
    /// under a load that fills the cores, acknowledging comes first and the read models catch up
    /// once it eases (zero: the projector never waits).
    public var projectorYield: Duration = .seconds(1)
    /// Read models at least this many events behind the log, and a quarter of it, are rebuilt
    /// in bulk rather than followed event by event (nil: always followed): before the server
    /// answers when it starts that far behind, else beside the live read models while no append
    /// is being served. A node of a shared log started without read models always rebuilds.
    public var rebuildBehind: Int? = 200_000
    /// The `Retry-After` a 503 carries, in seconds.
    public var retryAfterSeconds = 1
    /// A connection that sends nothing for this long, idle or in the middle of a request, is closed.
    public var idleTimeout: Duration = .seconds(60)
    /// How long a read with `min_seq` waits for the projector before answering 503.
    public var readWait: Duration = .seconds(5)
    /// Where "now" comes from: the time the context view and the pages are shown as of (unless
    /// a request names one) and the `recorded` stamp of the log's blocks.
    public var clock = WallClock.system
    /// Threads that run the blocking reads (the read models, the log's files), apart from the
    /// threads that serve appends and requests.
    public var readThreads = 4
    /// Most events one `GET /v1/events` returns.
    public var maxReadLimit = 10_000
    /// Bytes of events one `GET /v1/events` answers at most (past them it stops, after at least
    /// one event, and names where to continue), so a read's memory does not grow with the events.
    public var maxReadBytes = 4 << 20
    /// Records of the log one account-filtered read looks at past the read models' checkpoint
    /// (the events the projector has not yet filed by account), so its cost stays bounded.
    public var maxScanEvents = 50_000
    /// How long an event stream's consumer may leave a write unread before the stream is cut
    /// off (it resumes from the last `id:` it received).
    public var streamStall: Duration = .seconds(60)
    /// Stop on SIGTERM and SIGINT (off for servers run inside tests).
    public var handleSignals = true
    /// The rules to score with (`serve --rules FILE`), and the file's text; nil keeps the rules
    /// the read models hold (the shipped default on a new store).
    public var rules: (rules: Rules, text: String)?
    /// The alert rules to fire (`serve --alerts FILE`); nil fires none.
    public var alerts: AlertRules?
    /// The ticket triage rules (`serve --triage FILE`); nil triages none.
    public var triage: TriageRules?
    /// A webhook that does not answer within this is tried again later.
    public var webhookTimeout: Duration = .seconds(10)
    /// Tries of a webhook delivery before it is a dead letter.
    public var webhookAttempts = 8
    /// The pause after the first failed try (it doubles, with jitter, up to `webhookBackoffCap`).
    public var webhookBackoff: Duration = .seconds(2)
    public var webhookBackoffCap: Duration = .seconds(600)
    /// Where the what-if reports the pages show are (default `DATA/replays`, where `replay`
    /// writes by default).
    public var replaysDirectory: String?
    /// Free disk space the projector leaves for the log: below it the read models wait.
    public var diskReserveBytes = 64 << 20
    /// Failures in a row after which the projector or the scorer stops, for an error that does
    /// not pass by itself (a full disk or a busy file is waited out however long it lasts).
    public var workerAttempts = 4
    /// The log's knobs.
    public var store = EventStore.Options()

    public init(socketPath: String) { self.socketPath = socketPath }
}
