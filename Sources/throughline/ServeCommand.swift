import Access
import ArgumentParser
import Foundation
import EventLog
import Logging
import ThroughlineClient
import Scoring
import ThroughlineServer

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve the HTTP API on a Unix socket (and optionally loopback TCP), holding the store.",
        discussion: """
        Producers append with POST /v1/events; consumers follow with GET /v1/events?after=SEQ; \
        GET /v1/health and GET /metrics are for operators (see schemas/openapi.yaml). SIGTERM or SIGINT \
        stops accepting, finishes in-flight requests, makes every acknowledged event durable, removes \
        the socket and exits 0.
        """
    )

    @OptionGroup var data: DataOptions
    @OptionGroup var socket: SocketOptions
    @OptionGroup var log: LogOptions
    @OptionGroup var partitioned: PartitionOptions

    @Option(help: ArgumentHelp("File mode of the socket, in octal.", valueName: "MODE"))
    var socketMode = "660"

    @Option(help: ArgumentHelp("Group to give the socket to.", valueName: "GROUP"))
    var socketGroup: String?

    @Option(help: ArgumentHelp("Also listen on TCP for the API and the pages (`/` is the portfolio): PORT (on 127.0.0.1 only) "
                               + "or HOST:PORT (another address only when you name it).", valueName: "[HOST:]PORT"))
    var listen: String?

    @Option(name: .customLong("allow-host"), help: ArgumentHelp(
        "A name the TCP listener answers to in the Host header, beside loopback and its own address (the name a proxy or the users' "
        + "browsers use); repeat for more. Other names are answered 421, which stops DNS-rebinding pages.", valueName: "NAME"))
    var allowHosts: [String] = []

    @Flag(help: ArgumentHelp("Let --listen take an address other than loopback although the server has no sign-in and no TLS: "
                             + "anyone who reaches it reads every account and can add notes and overrides. Refused without this flag."))
    var insecureListen = false

    @Option(help: ArgumentHelp("Serve the TCP listener over TLS with this PEM certificate chain (with --tls-key).", valueName: "FILE"))
    var tlsCert: String?

    @Option(help: ArgumentHelp("The PEM private key of --tls-cert.", valueName: "FILE"))
    var tlsKey: String?

    @Option(help: ArgumentHelp("Take OpenID Connect ID tokens (JWTs) as bearer tokens, verified against this key set (the provider's "
                               + "JWKS document, saved); with --oidc-issuer and --oidc-audience. The person they name signs in with their "
                               + "account's role and book (`users add NAME --role R --no-password`).", valueName: "FILE"))
    var oidcJwks: String?

    @Option(help: ArgumentHelp("The issuer (iss) an ID token must name.", valueName: "URL"))
    var oidcIssuer: String?

    @Option(help: ArgumentHelp("The audience (aud, the client id) an ID token must be meant for.", valueName: "ID"))
    var oidcAudience: String?

    @Option(help: ArgumentHelp("The claim that names the person: email, preferred_username or sub.", valueName: "CLAIM"))
    var oidcUserClaim = "email"

    @Option(help: ArgumentHelp("Sign people in through a reverse proxy (oauth2-proxy, an auth proxy): the header in which it names the "
                               + "person (e.g. X-Forwarded-User), taken only from --trusted-proxy addresses; their role and book are their "
                               + "account's (`throughline users add NAME --role R --no-password`).", valueName: "HEADER"))
    var proxyUserHeader: String?

    @Option(name: .customLong("trusted-proxy"), help: ArgumentHelp("The IP address of a reverse proxy whose user header is believed; repeat for more.",
                                                                 valueName: "ADDRESS"))
    var trustedProxies: [String] = []

    @Option(help: ArgumentHelp("Where the what-if reports shown at /replays are (default DATA/replays, where `replay` writes).", valueName: "DIR"))
    var replays: String?

    @Option(help: "Largest request body in bytes (413 beyond).")
    var maxBodyBytes = 1 << 30

    @Option(help: "Largest event line in bytes.")
    var maxLineBytes = 1 << 20

    @Option(help: "Ingest requests served at once; more wait in a bounded queue, then get 503.")
    var maxActiveRequests = 16

    @Option(help: "Ingest requests that may wait for a turn before the server answers 503.")
    var maxWaitingRequests = 64

    @Option(help: "Close a connection that sends nothing for this many seconds (idle, or stalled mid-request).")
    var idleTimeout = 60

    @Option(help: ArgumentHelp("Longest wait, in seconds, of the projector before each batch while appends are being served "
                               + "(acknowledging comes first under a load that fills the cores; read models far behind, --rebuild-behind, "
                               + "wait until appends pause; 0: never wait).", valueName: "SECONDS"))
    var projectorYield = 1.0

    @Option(help: ArgumentHelp("Read models at least this many events behind the log (and a quarter of it) are rebuilt in bulk, "
                               + "not followed event by event: at start, or beside the live ones while no append is served (0: always follow).",
                               valueName: "EVENTS"))
    var rebuildBehind = 200_000

    @Option(help: ArgumentHelp("Free disk space, in MiB, the read models leave for the log: below it the projector waits "
                               + "(and /v1/health says so) instead of filling the disk.", valueName: "MIB"))
    var diskReserve = 64

    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel = "info"

    @Option(help: ArgumentHelp("""
        Health rules to score with (see `throughline rules check`). A new version is scored over all \
        history in the background and made active when done. Default: the rules the read models hold \
        (rules/health-v3.yaml on a new store).
        """, valueName: "FILE"))
    var rules: String?

    @Option(help: ArgumentHelp("""
        Alert rules to fire (see `throughline alerts check`): each firing is appended to the log as an \
        alert.fired event. Default: none.
        """, valueName: "FILE"))
    var alerts: String?

    @Option(help: ArgumentHelp("""
        Ticket triage rules (see `throughline triage check`): each ticket opened is given a priority \
        and a tier from its words and its account's context, appended as a ticket.triaged event; open \
        tickets not yet triaged under the version are triaged at start. Default: none.
        """, valueName: "FILE"))
    var triage: String?

    func run() async throws {
        guard let mode = UInt32(socketMode, radix: 8), mode <= 0o777 else {
            throw ValidationError("--socket-mode: \(socketMode) is not an octal file mode such as 660")
        }
        guard let level = Logger.Level(rawValue: logLevel) else {
            throw ValidationError("--log-level: \(logLevel) is not one of trace, debug, info, notice, warning, error, critical")
        }
        var options = ServerOptions(socketPath: socket.path(data: data))
        options.socketMode = mode
        options.socketGroup = socketGroup
        if let listen { options.listen = try Self.parseListen(listen) }
        options.allowedHosts = allowHosts
        options.diskReserveBytes = max(0, diskReserve) << 20
        options.insecureListen = insecureListen
        switch (tlsCert, tlsKey) {
        case (let cert?, let key?): options.tls = (cert, key)
        case (nil, nil): break
        default: throw ValidationError("--tls-cert and --tls-key go together: the certificate chain and its private key")
        }
        if let oidcJwks {
            guard let oidcIssuer, let oidcAudience else { throw ValidationError("--oidc-jwks needs --oidc-issuer and --oidc-audience") }
            var oidc = OIDCVerifier.Configuration(jwksFile: oidcJwks, issuer: oidcIssuer, audience: oidcAudience)
            oidc.userClaim = oidcUserClaim
            options.oidc = oidc
        }
        options.proxyUserHeader = proxyUserHeader
        options.trustedProxies = trustedProxies
        options.replaysDirectory = replays
        options.maxBodyBytes = maxBodyBytes
        options.maxLineBytes = maxLineBytes
        options.maxActiveIngests = maxActiveRequests
        options.maxWaitingIngests = maxWaitingRequests
        options.idleTimeout = .seconds(max(1, idleTimeout))
        options.projectorYield = .milliseconds(Int64(max(0, projectorYield) * 1000))
        options.rebuildBehind = rebuildBehind > 0 ? rebuildBehind : nil
        if let rules { options.rules = try checkedRules(exit: 2, then: "; not serving") { try loadRules(rules) } }
        if let alerts { options.alerts = try checkedRules(exit: 2, then: "; not serving") { try loadAlerts(alerts) } }
        if let triage { options.triage = try checkedRules(exit: 2, then: "; not serving") { try loadTriage(triage) } }
        // A log in PostgreSQL is made on first use; every node then serves the same one.
        if let url = log.log { options.sharedLog = try LogOptions.openPostgres(url, create: true, partitions: partitioned.partitions) }
        raiseOpenFileLimit()
        var logger = Logger(label: "throughline") { StreamLogHandler.standardError(label: $0) }
        logger.logLevel = level
        let server: ThroughlineServer
        do {
            server = try ThroughlineServer(dataDirectory: data.directory, options: options, logger: logger)
        } catch {
            Terminal.err("throughline: \(error)")
            throw ExitCode(2)
        }
        do {
            try await server.run()
        } catch {
            Terminal.err("throughline: \(error)")
            throw ExitCode(2)
        }
    }

    /// `8080` → 127.0.0.1:8080; `HOST:PORT` as given (the operator chose the address).
    static func parseListen(_ text: String) throws -> (host: String, port: Int) {
        let (host, portText): (String, Substring)
        if let colon = text.lastIndex(of: ":") {
            host = String(text[..<colon]).trimmingCharacters(in: ["[", "]"])
            portText = text[text.index(after: colon)...]
        } else {
            host = "127.0.0.1"
            portText = text[...]
        }
        guard let port = Int(portText), (0...65535).contains(port), !host.isEmpty else {
            throw ValidationError("--listen: \(text) is not PORT or HOST:PORT")
        }
        return (host, port)
    }
}

/// `--socket PATH`, shared by `serve` and the commands that talk to it.
struct SocketOptions: ParsableArguments {
    @Option(help: ArgumentHelp("The server's Unix socket. Default: DATA/throughline.sock.", valueName: "PATH"))
    var socket: String?

    func path(data: DataOptions) -> String { socket ?? data.directory + "/throughline.sock" }
}

/// Where the commands that talk to a running server find it: `--socket PATH` (default
/// DATA/throughline.sock) or `--tcp HOST:PORT`.
struct ServerAddressOptions: ParsableArguments {
    @OptionGroup var socket: SocketOptions

    @Option(help: ArgumentHelp("Talk to the server over TCP instead: HOST:PORT. A listener that asks for sign-in takes the bearer "
                               + "token in $THROUGHLINE_TOKEN (`throughline tokens create`).", valueName: "HOST:PORT"))
    var tcp: String?

    func address(data: DataOptions) throws -> ServerAddress {
        if let tcp {
            let (host, port) = try ServeCommand.parseListen(tcp)
            let token = ProcessInfo.processInfo.environment["THROUGHLINE_TOKEN"].flatMap { $0.isEmpty ? nil : $0 }
            return .tcp(host: host, port: port, token: token)
        }
        return .unix(socket.path(data: data))
    }
}
