import Access
import EventLog
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import Logging
import NIOCore
import Projections
import Scoring
import ServiceLifecycle
import Synchronization
import ThroughlineCore
import UnixSignals

/// `throughline serve`: holds the store's lock and serves the HTTP API on the Unix socket (and
/// optionally on TCP) until SIGTERM or SIGINT, then stops accepting, finishes in-flight requests,
/// makes every acknowledged event durable, removes the socket and returns.
public final class ThroughlineServer: Sendable {
    public let store: EventStore
    /// The read models and the projector thread that keeps them following the log.
    public let projections: ProjectionStore
    public let projector: ProjectorRunner
    /// Background scoring: a new rules version, and series carried to a new day.
    public let scorer: ScoreRunner
    /// Fires the alert rules (`serve --alerts FILE`), if any.
    public let alerter: AlertRunner?
    public let options: ServerOptions
    let logger: Logger
    let metrics: ServerMetrics
    /// The threads blocking reads run on.
    let readPool: ReadPool
    /// The tokens and local accounts (`access.sqlite`), the pages' sessions, the sign-in limit.
    let access: AccessStore
    /// Who did what (`audit.sqlite`).
    let audit: AuditTrail
    let sessions: SessionTable
    let limiter = SignInLimiter()
    /// The TCP listener's TLS, read from its files at start.
    let tlsConfiguration: TLSConfiguration?
    private let group = Mutex<ServiceGroup?>(nil)
    /// Wakes the event streams on every commit; ends them when the server stops.
    let watch = LogWatch()
    /// Admission of ingest requests; while it holds any, the projector yields to them.
    let gate: IngestGate
    /// Named durable subscriptions and their members' acknowledged positions.
    let subscriptions: SubscriptionStore
    /// The alerts' webhook deliveries and the endpoints' secrets, when the alert rules name webhooks.
    let deliveries: (store: WebhookStore, secrets: [String: [UInt8]])?
    private let stopRequested = Mutex(false)
    private let boundPort = Mutex<Int?>(nil)

    /// Opens the store (taking its lock: a second server or import fails here, naming the holder)
    /// and makes the socket path free; nothing is served until `run`.
    public init(dataDirectory: String, options: ServerOptions, logger: Logger) throws {
        let metrics = ServerMetrics()
        var storeOptions = options.store
        storeOptions.clock = options.clock
        let previous = storeOptions.onCommit
        let committed = LateHook(), projected = LateHook()
        storeOptions.onCommit = { report in
            metrics.commit(report)
            previous?(report)
            committed()
        }
        // Another node's commits, seen by following a shared log.
        storeOptions.onAdvance = { _ in committed() }
        self.metrics = metrics
        self.options = options
        self.logger = logger
        let gate = IngestGate(maxActive: options.maxActiveIngests, maxWaiting: options.maxWaitingIngests,
                              maxWait: options.maxIngestWait, onWaitingChange: { [metrics] in metrics.waiting($0) })
        self.gate = gate
        if let log = options.sharedLog {
            store = try EventStore(directory: dataDirectory, holder: "throughline serve", log: log, options: storeOptions)
        } else {
            store = try EventStore(directory: dataDirectory, holder: "throughline serve", options: storeOptions)
        }
        for note in store.recoveryReport { logger.warning("recovered the log", metadata: ["note": "\(note)"]) }
        do {
            do {
                access = try AccessStore(directory: dataDirectory)
                audit = try AuditTrail(directory: dataDirectory)
                subscriptions = try SubscriptionStore(directory: dataDirectory)
            } catch { throw ServerError(.options, "\(error)") }
            if let alerts = options.alerts, !alerts.webhooks.isEmpty {
                let secrets = try WebhookSender.secrets(alerts)
                do { deliveries = (try WebhookStore(directory: dataDirectory), secrets) } catch { throw ServerError(.options, "\(error)") }
            } else {
                deliveries = nil
            }
            try Self.checkListener(options, signIn: try options.proxyUserHeader != nil || options.oidc != nil || access.hasPrincipals())
            tlsConfiguration = try options.tls.map(Self.tlsConfiguration)
            let rebuilt = try Self.catchUpInBulk(store, directory: dataDirectory, behind: options.rebuildBehind, logger: logger)
            projections = try ProjectionStore(directory: dataDirectory, cacheMiB: 32)
            if rebuilt { try projections.markEveryAccountForAlerts() }
            if projections.resetFromOlderSchema {
                logger.notice("the read models had another layout; they are rebuilt from the log", metadata: ["file": "\(projections.path)"])
            }
            let store = store
            let reserve = DiskReserve(bytes: options.diskReserveBytes, readModels: projections)
            // Under normal load a batch is whatever arrived since the last one; a backlog is worked
            // off in batches of up to 10,000 events, since each batch rewrites pages of most accounts,
            // and one of more than ten such batches in batches of 100,000 (a 1M backlog on each of
            // two nodes: 28 s against 89 s, at a peak of 338 MiB a node; BENCHMARKS.md).
            projector = try ProjectorRunner(
                projector: Projector(store: projections, batchSize: 10_000, backlogBatchSize: 100_000, keyring: store.keyring, alertTypes: (options.alerts?.firedBy ?? []).union(options.triage == nil ? [] : [.ticketOpened])),
                snapshot: { store.snapshot() }, reserve: reserve, attempts: options.workerAttempts,
                ingestBusy: { gate.counts.active > 0 }, longestYield: options.projectorYield, rebuildBehind: options.rebuildBehind,
                onBatch: { applied in
                    metrics.projected(applied: applied.events, last: store.position.events)
                    projected()
                },
                onRebuilt: { events, behind, took in
                    logger.notice("the read models were far behind the log: built again from it, then put in place; following the log", metadata: [
                        "events": "\(events)", "behind": "\(behind)", "seconds": "\(Int(took.seconds))",
                        "events_per_second": "\(Int(Double(events) / max(took.seconds, 1e-9)))"])
                },
                onChange: { Self.report("projector", $0, logger: logger, metrics: metrics) })
            scorer = ScoreRunner(projector: projector, reserve: reserve, attempts: options.workerAttempts,
                                 onChange: { Self.report("scorer", $0, logger: logger, metrics: metrics) })
            let readModels = projections
            // Triage alone runs in the alerter too, with no alert rules.
            let fired = options.alerts ?? (options.triage == nil ? nil : AlertRules(version: "none", rules: []))
            alerter = fired.map { alerts in
                AlertRunner(alerts: alerts, triage: options.triage, store: readModels, log: { store.snapshot() }, attempts: options.workerAttempts,
                            append: { events in try store.appendAndWait(EncodedBatch(events.map { EncodedEvent($0) })) },
                            onFired: { f in
                                logger.notice("alert fired", metadata: ["rule": "\(f.rule)", "account": "\(f.account)", "reason": "\(f.reason)"])
                            },
                            onChange: { Self.report("alerter", $0, logger: logger, metrics: metrics) })
            }
            if let (rules, text) = options.rules { try Self.switchRules(to: rules, text: text, store: store, projector: projector.projector,
                                                                     clock: options.clock, logger: logger) }
            if let note = try SocketFile.prepare(options.socketPath) { logger.notice("\(note)") }
            if !JobThreads.mayRun(atNice: StreamRoute.streamsNice) {
                logger.notice("event streams run at normal priority (raising it takes root, CAP_SYS_NICE or LimitNICE=): under a bulk load that fills the cores, commits may take longer to reach them")
            }
        } catch {
            try? store.close()
            throw error
        }
        readPool = ReadPool(threads: options.readThreads)
        sessions = SessionTable(lifetimeSeconds: options.sessionSeconds)
        let projector = projector
        for name in ["projector", "scorer"] + (alerter == nil ? [] : ["alerter"]) { metrics.worker(name, .running) }
        let alerter = alerter
        projected.set { alerter?.poke() }
        let watch = watch
        let store = store
        committed.set { projector.poke(); watch.poke(lastSeq: store.lastSeq); alerter?.poke() }
    }

    /// Read models far behind the log are built again with the bulk rebuild rather than followed
    /// event by event: those of a node of a shared log started without them, and any at least
    /// `behind` events and a quarter of the log short of it. Following costs per event of the
    /// backlog, a rebuild per event of the log, more than four times less (at 10M events a
    /// rebuild takes about a minute; two nodes followed a 10M backlog for 15 minutes). The
    /// server then follows the log from there. Returns whether it rebuilt.
    static func catchUpInBulk(_ store: EventStore, directory: String, behind: Int?, logger: Logger) throws -> Bool {
        let snapshot = store.snapshot()
        let events = Int(snapshot.position.events)
        guard events > 0 else { return false }
        let applied = ProjectionStore.checkpoint(directory: directory, snapshot.partitioning)
        let missing = store.shared != nil && !FileManager.default.fileExists(atPath: directory + "/projections.sqlite")
        let backlog = events - Int(applied?.events ?? 0)
        guard missing || ProjectorRunner.farBehind(events: UInt64(events), applied: applied?.events ?? 0, limit: behind) else { return false }
        logger.notice(missing ? "a new node: building the read models from the log" : "the read models are far behind the log: building them again from it",
                      metadata: ["events": "\(events)", "behind": "\(backlog)"])
        let started = monotonicNanos()
        try Rebuild.run(snapshot, directory: directory, keyring: store.keyring)
        let seconds = Double(monotonicNanos() - started) / 1e9
        logger.notice("read models built; following the log", metadata: [
            "events": "\(events)", "seconds": "\(Int(seconds))", "events_per_second": "\(Int(Double(events) / max(seconds, 1e-9)))"])
        return true
    }

    /// Refuses a TCP listener on an address other than loopback that would serve every account
    /// to whoever reaches it: without sign-in (no user and no token yet), or without TLS
    /// (passwords, tokens and session cookies in clear), unless the operator accepted the risk.
    static func checkListener(_ options: ServerOptions, signIn: Bool) throws {
        if options.tls != nil && options.listen == nil { throw ServerError(.options, "--tls-cert and --tls-key are for the TCP listener; add --listen") }
        if let header = options.proxyUserHeader {
            guard HTTPField.Name(header) != nil else { throw ServerError(.options, "--proxy-user-header: \(header) is not a header name") }
            guard !options.trustedProxies.isEmpty else {
                throw ServerError(.options, "--proxy-user-header needs --trusted-proxy ADDRESS: the header is believed only from the proxy's address")
            }
        }
        guard let (host, port) = options.listen, !Loopback.names.contains(host.lowercased()), !options.insecureListen else { return }
        if !signIn {
            throw ServerError(.options, "--listen \(host):\(port) would serve every account's data, and the forms that add notes and "
                             + "overrides, to any machine that reaches it, with no sign-in: add a user or a token first (`throughline users add`, "
                             + "`throughline tokens create`), listen on loopback (--listen \(port)) behind a reverse proxy, or accept the risk "
                             + "with --insecure-listen")
        }
        guard options.tls == nil else { return }
        throw ServerError(.options, "--listen \(host):\(port) has no TLS: passwords, tokens and session cookies would cross the network "
                         + "in clear. Give it a certificate (--tls-cert FILE --tls-key FILE), listen on loopback (--listen \(port)) behind a reverse "
                         + "proxy that serves HTTPS, or accept the risk with --insecure-listen")
    }

    /// The TLS configuration of a certificate chain and key in PEM files; a file that cannot be
    /// read or parsed is named.
    static func tlsConfiguration(_ files: (certificate: String, key: String)) throws -> TLSConfiguration {
        let chain: [NIOSSLCertificate], key: NIOSSLPrivateKey
        do { chain = try NIOSSLCertificate.fromPEMFile(files.certificate) } catch {
            throw ServerError(.options, "--tls-cert \(files.certificate): not a readable PEM certificate chain (\(error))")
        }
        do { key = try NIOSSLPrivateKey(file: files.key, format: .pem) } catch {
            throw ServerError(.options, "--tls-key \(files.key): not a readable PEM private key (\(error))")
        }
        guard !chain.isEmpty else { throw ServerError(.options, "--tls-cert \(files.certificate): no certificate in it") }
        return TLSConfiguration.makeServerConfiguration(certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key))
    }

    /// The TCP port actually bound (for `--listen HOST:0`), once running.
    public var tcpPort: Int? { boundPort.withLock { $0 } }

    /// Serves until `shutdown()` or a signal; then drains, closes the store and removes the socket.
    public func run() async throws {
        // The same routes on the socket and on TCP; TCP answers only to this server's names.
        let routes = makeRoutes()
        let (metrics, logger, freshness, projections, readPool) = (metrics, logger, freshness, projections, readPool)
        var oidc: OIDCVerifier?
        if let configuration = options.oidc {
            do { oidc = try await OIDCVerifier(configuration) } catch {
                await readPool.shutdown()
                try? store.close()
                throw ServerError(.options, "\(error)")
            }
        }
        let signIn = SignInCheck(access: access, sessions: sessions, options: options, oidc: oidc)
        let (audit, clock) = (audit, options.clock)
        func responder(checkingHosts hostCheck: HostCheck<ServerContext>? = nil) -> some HTTPResponder<ServerContext> {
            let router = Router(context: ServerContext.self)
            if let hostCheck { router.add(middleware: hostCheck) }
            router.add(middleware: RequestMetricsMiddleware(metrics: metrics, logger: logger))
            router.add(middleware: AnswerMiddleware(logger: logger))
            // The Unix socket's guard is its file mode and group; TCP asks for sign-in.
            if hostCheck != nil { router.add(middleware: signIn) }
            router.add(middleware: AuditRecorder(trail: audit, clock: clock))
            router.add(middleware: StaleMarker(freshness: freshness))
            router.add(middleware: MergedRedirect(projections: projections, pool: readPool))
            routes(router)
            return router.buildResponder()
        }

        let socketPath = options.socketPath
        let (mode, socketGroup) = (options.socketMode, options.socketGroup)
        let http = HTTPServerBuilder.http1(configuration: HTTP1Channel.Configuration(
            idleTimeout: TimeAmount(options.idleTimeout)))
        // The workers come first: a graceful stop ends the services in reverse order, so the
        // listeners drain before the read models stop following. A worker that stops leaves the
        // group running (appends still land); health, the metrics and reads say what stopped.
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = ([projector.worker, scorer.worker] + (alerter.map { [$0.worker] } ?? [])).map {
            .init(service: WorkerService(worker: $0), successTerminationBehavior: .ignore, failureTerminationBehavior: .ignore)
        }
        services.append(.init(service: AuditService(trail: audit, pool: readPool, logger: logger)))
        if let alerts = options.alerts, let deliveries {
            services.append(.init(service: WebhookSender(alerts: alerts, secrets: deliveries.secrets, store: store, deliveries: deliveries.store,
                                                         options: options, logger: logger)))
        }
        services.append(.init(service: Application(responder: responder(), server: http,
                        configuration: ApplicationConfiguration(address: .unixDomainSocket(path: socketPath), serverName: "throughline", backlog: 4096),
                        onServerRunning: { _ in
                            do {
                                try SocketFile.applyPermissions(socketPath, mode: mode, group: socketGroup)
                            } catch {
                                logger.error("socket permissions", metadata: ["error": "\(error)"])
                            }
                            logger.notice("listening", metadata: ["socket": "\(socketPath)"])
                        },
                        logger: logger)))
        if let (host, port) = options.listen {
            if !Loopback.names.contains(host.lowercased()), options.insecureListen, tlsConfiguration == nil {
                logger.warning("""
                    --insecure-listen: the TCP listener is not on loopback and has no TLS: what it serves, and the tokens, \
                    passwords and cookies sent to it, cross the network in clear (and with no user or token yet, it asks nobody to sign in)
                    """,
                               metadata: ["address": "\(host):\(port)"])
            }
            let tcpServer = try tlsConfiguration.map { try HTTPServerBuilder.tls(http, tlsConfiguration: $0) } ?? http
            services.append(.init(service: Application(responder: responder(checkingHosts: HostCheck(listenHost: host, extra: options.allowedHosts)), server: tcpServer,
                                        configuration: ApplicationConfiguration(address: .hostname(host, port: port), serverName: "throughline", backlog: 4096),
                                        onServerRunning: { [self] channel in
                                            self.boundPort.withLock { $0 = channel.localAddress?.port }
                                            logger.notice("listening", metadata: ["tcp": "\(host):\(channel.localAddress?.port ?? port)"])
                                        },
                                        logger: logger)))
        }
        // Last, so told first when stopping: the streams end before the listeners drain.
        services.append(.init(service: StreamCloser(watch: watch)))
        let serviceGroup = ServiceGroup(configuration: ServiceGroupConfiguration(
            services: services,
            gracefulShutdownSignals: options.handleSignals ? [.sigterm, .sigint] : [],
            logger: logger))
        group.withLock { $0 = serviceGroup }
        if stopRequested.withLock({ $0 }) { await serviceGroup.triggerGracefulShutdown() }
        defer {
            SocketFile.remove(socketPath)
        }
        let outcome: Error?
        do { try await serviceGroup.run(); outcome = nil } catch { outcome = error }
        projector.releaseWaiters()
        do { try projections.producers.flush() } catch {
            logger.warning("cannot count the last requests' lines by producer", metadata: ["error": "\(error)"])
        }
        await readPool.shutdown()
        try store.close()
        logger.notice("stopped", metadata: ["last_seq": "\(store.lastSeq)"])
        if let outcome { throw outcome }
    }

    var freshness: Freshness { Freshness(store: store, projector: projector, scorer: scorer) }

    /// A function that adds every route to a router (the handlers are made once and shared).
    /// Each route is registered with the action `Endpoints` gives it and refuses a principal
    /// whose role may not do it, so the check follows the route the router matched.
    private func makeRoutes() -> @Sendable (Router<ServerContext>) -> Void {
        let pool = readPool
        let gate = gate
        let ingest = IngestRoute(store: store, options: options, gate: gate, metrics: metrics, producers: projections.producers, audit: audit)
        let reads = ReadRoutes(store: store, options: options, metrics: metrics, gate: gate, projector: projector, projections: projections,
                               freshness: freshness, alerter: alerter)
        let accounts = AccountRoutes(store: store, projections: projections, projector: projector, options: options, pool: pool)
        let pages = PageRoutes(store: store, projections: projections, projector: projector, options: options, gate: gate,
                               replays: options.replaysDirectory ?? store.directory + "/replays", logger: logger, pool: pool)
        let signIn = SignInRoutes(access: access, sessions: sessions, limiter: limiter, pool: pool, clock: options.clock, logger: logger, audit: audit)
        let trail = AuditRoutes(trail: audit, pool: pool, clock: options.clock)
        let stream = StreamRoute(store: store, projections: projections, options: options, watch: watch, metrics: metrics, logger: logger)
        let subscribed = SubscriptionRoutes(subscriptions: subscriptions, stream: stream, pool: pool)
        let tasked = TaskRoutes(projections: projections)
        let messaged = MessageRoutes(projections: projections, reads: accounts)
        let triaged = TriageRoutes(projections: projections)
        let patterned = PatternRoutes(projections: projections)
        let delivered = DeliveryRoutes(alerts: options.alerts, deliveries: deliveries?.store)
        typealias Handler = @Sendable (Request, ServerContext) async throws -> Response
        return { router in
            func on(_ method: HTTPRequest.Method, _ pattern: String, _ handler: @escaping Handler) {
                guard let action = Endpoints.pattern(of: pattern.replacingOccurrences(of: "{id}", with: "x"))?.actions
                    .first(where: { $0.method == method })?.action else { preconditionFailure("\(method) \(pattern) is not in Endpoints") }
                router.on(RouterPath(pattern), method: method, use: { request, context -> Response in
                    if let refusal = SignInCheck.refusal(action, request, context) { return refusal }
                    return try await handler(request, context)
                })
            }
            on(.post, "/v1/events") { request, context in try await ingest.handle(request, context) }
            on(.get, "/v1/events") { request, context in try await pool.run { try reads.events(request, context) } }
            on(.get, "/v1/events/stream") { request, context in try await stream.handle(request, context) }
            on(.get, "/v1/tasks") { request, _ in try await pool.run { try tasked.list(request) } }
            on(.get, "/tasks") { request, context in try await pool.run { try pages.tasks(request, context) } }
            on(.get, "/v1/messages/findings") { request, _ in try await messaged.findings(request, pool: pool) }
            on(.get, "/messages") { request, context in try await pool.run { try pages.messages(request, context) } }
            on(.get, "/v1/triage/queue") { request, _ in try await pool.run { try triaged.queue(request) } }
            on(.get, "/triage") { request, context in try await pool.run { try pages.triage(request, context) } }
            on(.get, "/v1/patterns") { request, _ in try await pool.run { try patterned.list(request) } }
            on(.get, "/patterns") { request, context in try await pool.run { try pages.patterns(request, context) } }
            on(.get, "/v1/deliveries") { request, _ in try await pool.run { try delivered.list(request) } }
            on(.post, "/v1/subscriptions") { request, _ in try await subscribed.create(request) }
            on(.get, "/v1/subscriptions") { _, _ in try await subscribed.list() }
            on(.get, "/v1/subscriptions/{id}") { _, context in try await subscribed.describe(Query.pathID(context)) }
            on(.get, "/v1/subscriptions/{id}/stream") { request, context in try await subscribed.open(request, context) }
            on(.post, "/v1/subscriptions/{id}/ack") { request, context in try await subscribed.acknowledge(request, context) }
            on(.get, "/v1/health") { _, _ in try await pool.run { reads.health() } }
            on(.get, "/v1/projection-errors") { request, _ in try await pool.run { try reads.projectionErrors(request) } }
            on(.get, "/metrics") { _, _ in reads.prometheus() }
            on(.get, "/v1/accounts/{id}/timeline") { request, context in try await accounts.timeline(request, context) }
            on(.get, "/v1/accounts/{id}/context") { request, context in try await accounts.context(request, context) }
            on(.get, "/v1/accounts/{id}/scores") { request, context in try await accounts.scores(request, context) }
            on(.get, "/v1/accounts/{id}/scores/explain") { request, context in try await accounts.explain(request, context) }
            on(.get, "/v1/accounts") { request, _ in try await accounts.portfolio(request) }
            on(.get, "/v1/overrides") { request, _ in try await accounts.overrides(request) }
            on(.get, "/v1/unlinked") { request, _ in try await accounts.unlinked(request) }
            on(.get, "/v1/data-quality") { request, _ in try await accounts.dataQuality(request) }
            on(.get, "/v1/people") { request, _ in try await accounts.people(request) }
            on(.get, "/overrides") { _, context in try await pool.run { try pages.overrides(context) } }
            on(.get, "/unlinked") { _, context in try await pool.run { try pages.unlinked(context) } }
            on(.get, "/data-quality") { _, context in try await pool.run { try pages.dataQuality(context) } }
            on(.get, "/") { request, context in try await pool.run { try pages.portfolio(request, context) } }
            on(.get, "/accounts/{id}") { request, context in
                let id = Query.pathID(context)
                return try await pool.run { try pages.account(request, id, context) }
            }
            on(.post, "/accounts/{id}/events") { request, context in try await pages.addEntry(request, context) }
            on(.get, "/replays") { _, context in try await pool.run { pages.replayIndex(context) } }
            on(.get, "/replays/{id}") { _, context in
                let id = Query.pathID(context)
                return try await pool.run { pages.replay(id, context) }
            }
            on(.get, "/v1/audit") { request, _ in try await trail.entries(request) }
            on(.get, "/audit") { request, context in try await trail.page(request, context) }
            on(.get, "/sign-in") { request, _ in signIn.form(request) }
            on(.post, "/sign-in") { request, context in try await signIn.signIn(request, context) }
            on(.post, "/sign-out") { request, context in try await signIn.signOut(request, context) }
        }
    }

    /// Logs a worker's change of state and counts it in the metrics.
    static func report(_ worker: String, _ state: Worker.State, logger: Logger, metrics: ServerMetrics) {
        metrics.worker(worker, state)
        let meta: Logger.Metadata = ["worker": "\(worker)", "reason": "\(state.reason ?? "")"]
        switch state {
        case .running: logger.notice("working again", metadata: ["worker": "\(worker)"])
        case .paused: logger.warning("paused", metadata: meta)
        case .retrying: logger.error("a round failed; it is tried again shortly", metadata: meta)
        case .stopped:
            logger.critical("stopped: the read models no longer follow the log; appends are still stored. Restart the server once the cause is fixed",
                            metadata: meta)
        }
    }

    /// Starts a graceful stop, as SIGTERM would.
    public func shutdown() async {
        stopRequested.withLock { $0 = true }
        if let g = group.withLock({ $0 }) { await g.triggerGracefulShutdown() }
    }
}

/// Times every request into the latency histogram and logs it. The route label is the route the
/// router matched (Hummingbird records it on the context), so a new route is labelled by itself;
/// an answer no route gave (a 405, a 421) is labelled by the endpoint table, or "other".
struct RequestMetricsMiddleware<Context: RequestContext>: RouterMiddleware {
    let metrics: ServerMetrics
    let logger: Logger

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = monotonicNanos()
        let response = try await next(request, context)
        let route = context.endpointPath.flatMap { $0 == "NotFound" ? nil : $0 }
            ?? Endpoints.pattern(of: request.uri.path)?.pattern ?? "other"
        record(request, route: route, status: response.status.code, start: start)
        return response
    }

    private func record(_ request: Request, route: String, status: Int, start: UInt64) {
        let elapsed = monotonicNanos() - start
        metrics.request(method: request.method.rawValue, route: route, status: status, nanoseconds: elapsed)
        logger.info("request", metadata: [
            "method": "\(request.method.rawValue)", "path": "\(request.uri.path)", "route": "\(route)", "status": "\(status)",
            "ms": "\(elapsed / 1_000_000)",
        ])
    }
}
