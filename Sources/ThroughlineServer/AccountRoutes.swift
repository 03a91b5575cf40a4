import EventLog
import Hummingbird
import Projections
import ThroughlineCore

/// Reads of the projections: one account's timeline.
struct AccountRoutes: Sendable {
    let store: EventStore
    let projections: ProjectionStore
    let projector: ProjectorRunner
    let options: ServerOptions
    /// Where the reads of the read models run (off Swift's cooperative pool).
    let pool: ReadPool

    /// `GET /v1/accounts/{id}/timeline?since=&until=&types=&source=&limit=&cursor=&min_seq=`
    func timeline(_ request: Request, _ context: ServerContext) async throws -> Response {
        let account = Query.pathID(context)
        var filter = TimelineFilter()
        do {
            let q = try Query(request, allowed: ["since", "until", "types", "source", "limit", "cursor", "min_seq"])
            filter.since = try q.time("since")
            filter.until = try q.time("until")
            filter.kinds = try q.list("types", of: TimelineEntry.Kind.self)
            filter.source = try q.string("source")
            filter.limit = try q.int("limit", in: 1...500) ?? 50
            filter.cursor = try q.string("cursor")
            if let wait = try await readYourWrites(q) { return wait }
        } catch let problem as Query.Problem {
            return problem.response
        }
        let filtered = filter, reader = context.principal
        guard let page = try await pool.run({ [projections] in try projections.timeline(account, filtered, reader: reader) }) else { return Self.unknown(account) }
        var body: [JSONMember] = [JSONMember("account", .string(account))]
        if case .object(let m) = page.jsonValue { body += m }
        return Reply.json(.ok, .object(body))
    }

    /// `GET /v1/accounts/{id}/context?at=&min_seq=`: the shared-context view as of `at` (default now).
    func context(_ request: Request, _ context: ServerContext) async throws -> Response {
        let account = Query.pathID(context)
        let asOf: Int64
        do {
            let q = try Query(request, allowed: ["at", "min_seq"])
            asOf = try q.time("at") ?? options.clock.now()
            if let wait = try await readYourWrites(q) { return wait }
        } catch let problem as Query.Problem {
            return problem.response
        }
        let reader = context.principal
        guard let view = try await pool.run({ [projections] in try projections.context(account, asOf: asOf, reader: reader) }) else { return Self.unknown(account) }
        return try Reply.json(.ok, view)
    }

    /// `GET /v1/accounts/{id}/scores?rules=&from=&to=&min_seq=`: the daily score history under a
    /// rules version (the active one by default), the current score and the band changes.
    func scores(_ request: Request, _ context: some RequestContext) async throws -> Response {
        let account = Query.pathID(context)
        let rules: String?, from: Int64?, to: Int64?
        do {
            let q = try Query(request, allowed: ["rules", "from", "to", "min_seq"])
            (rules, from, to) = (try q.string("rules"), try q.time("from"), try q.time("to"))
            if let wait = try await readYourWrites(q) { return wait }
        } catch let problem as Query.Problem {
            return problem.response
        }
        return try await pool.run { [projections] in
            try Self.answer(account) {
                try projections.scores(account, rules: rules, from: from.map { Day(containing: $0).number }, to: to.map { Day(containing: $0).number })
            }
        }
    }

    /// `GET /v1/accounts/{id}/scores/explain?at=&rules=&min_seq=`: the score at the end of the day
    /// of `at` (default: the latest scored day), with every contribution, its reason and seqs.
    func explain(_ request: Request, _ context: some RequestContext) async throws -> Response {
        let account = Query.pathID(context)
        let rules: String?, at: Int64?
        do {
            let q = try Query(request, allowed: ["at", "rules", "min_seq"])
            (rules, at) = (try q.string("rules"), try q.time("at"))
            if let wait = try await readYourWrites(q) { return wait }
        } catch let problem as Query.Problem {
            return problem.response
        }
        return try await pool.run { [projections] in
            try Self.answer(account) {
                try projections.explain(account, at: at, rules: rules)
            }
        }
    }

    /// 200 with the view, 404 for an unknown account or rules version (`AnswerMiddleware` maps
    /// the store's refusals).
    static func answer(_ account: String, _ view: () throws -> (some Encodable)?) throws -> Response {
        guard let v = try view() else { return unknown(account) }
        return try Reply.json(.ok, v)
    }

    /// `GET /v1/accounts?status=&csm=&plan=&band=&renewal_within=&flag=&sort=&order=&limit=&offset=&at=&min_seq=`: the portfolio.
    func portfolio(_ request: Request) async throws -> Response {
        let filter: PortfolioFilter
        do {
            let q = try Query(request, allowed: ["status", "csm", "plan", "band", "renewal_within", "flag", "sort", "order", "limit", "offset", "at", "min_seq"])
            filter = try PortfolioFilter(q, now: options.clock.now())
            if let wait = try await readYourWrites(q) { return wait }
        } catch let problem as Query.Problem {
            return problem.response
        }
        let chosen = filter
        return try await pool.run { [projections] in try Reply.json(.ok, projections.portfolio(chosen)) }
    }

    /// `GET /v1/overrides?at=&min_seq=`: the overrides in force that disagree with the computed band, oldest first.
    func overrides(_ request: Request) async throws -> Response {
        let asOf: Int64
        do {
            let q = try Query(request, allowed: ["at", "min_seq"])
            asOf = try q.time("at") ?? options.clock.now()
            if let wait = try await readYourWrites(q) { return wait }
        } catch let problem as Query.Problem {
            return problem.response
        }
        let inbox = try await pool.run { [projections] in try projections.overrideInbox(asOf: asOf) }
        return try Reply.json(.ok, inbox)
    }

    /// `GET /v1/unlinked?min_seq=`: the references no account is linked to.
    func unlinked(_ request: Request) async throws -> Response {
        try await view(request) { try $0.unlinked() }
    }

    /// `GET /v1/data-quality?min_seq=`: what keeps the shared picture from being whole.
    func dataQuality(_ request: Request) async throws -> Response {
        let now = options.clock.now()
        return try await view(request) { try $0.dataQuality(now: now) }
    }

    /// `GET /v1/people?handle=&min_seq=`: the accounts where a person is known, and as whom.
    func people(_ request: Request) async throws -> Response {
        let handle: String
        do {
            let q = try Query(request, allowed: ["handle", "min_seq"], dropEmpty: false)
            guard let h = try q.string("handle"), !h.trimmingSpaces.isEmpty else {
                return Reply.error(.badRequest, "handle must name the person: an email, an id, or a name")
            }
            handle = h
            if let wait = try await readYourWrites(q) { return wait }
        } catch let problem as Query.Problem {
            return problem.response
        }
        return try await pool.run { [projections] in
            try Reply.json(.ok, ["people": try projections.people(named: handle)])
        }
    }

    /// A view of the read models that takes no parameter but `min_seq`, read on the read threads.
    private func view(_ request: Request, _ read: @escaping @Sendable (ProjectionStore) throws -> some Encodable) async throws -> Response {
        do {
            if let wait = try await readYourWrites(try Query(request, allowed: ["min_seq"])) { return wait }
        } catch let problem as Query.Problem {
            return problem.response
        }
        return try await pool.run { [projections] in try Reply.json(.ok, read(projections)) }
    }

    /// With `min_seq=N`, waits (at most `options.readWait`) until the read models hold seq N;
    /// nil when the read may go ahead, else the 503 to answer.
    func readYourWrites(_ q: Query) async throws -> Response? {
        guard let minSeq = try q.seq("min_seq") else { return nil }
        // A seq the log has not assigned yet is no write of the caller's: waiting would not bring it.
        // (Another node's commit may be past what this node has heard of: the log is asked.)
        var known = store.position
        if !known.covers(minSeq), store.shared != nil { known = try await pool.run { [store] in try store.currentPosition() } }
        guard known.covers(minSeq) else {
            throw Query.Problem(message: "min_seq: \(minSeq) is past the log's last seq \(known); pass the seq an append answered")
        }
        if await projector.waitUntilApplied(minSeq, timeout: options.readWait) { return nil }
        if case .stopped(let reason) = projector.worker.state {
            return Reply.error(.serviceUnavailable, "the read models will not reach seq \(minSeq): the projector stopped at seq \(projector.applied) "
                               + "(\(reason)); the event is stored, and the read models follow again once the server is restarted")
        }
        return Reply.unavailable("the read models have not reached seq \(minSeq) yet (they are at \(projector.applied)); retry shortly",
                                 retryAfter: options.retryAfterSeconds)
    }

    static func unknown(_ account: String) -> Response {
        Reply.error(.notFound, "no account \(account): no event of it is in the read models (use min_seq to wait for a recent append)")
    }
}

extension PortfolioFilter {
    /// The filters, order and page a portfolio request names (each parameter checked; the ones
    /// the request may not carry are simply absent), measured from `at` or else `now`.
    init(_ q: Query, now: Int64) throws {
        self.init()
        csm = try q.string("csm")
        plan = try q.string("plan")
        bands = try q.list("band", of: Band.self)
        renewalWithinDays = try q.int("renewal_within", in: 0...3650)
        status = try q.list("status", of: Status.self)?.first ?? .active
        flag = try q.list("flag", of: ContextView.Flag.self)?.first?.rawValue
        sort = try q.list("sort", of: Sort.self)?.first ?? .renewal
        if let order = try q.string("order") {
            guard order == "asc" || order == "desc" else { throw Query.Problem(message: "order: must be asc or desc, not \(order)") }
            descending = order == "desc"
        }
        limit = try q.int("limit", in: 1...500) ?? 50
        offset = try q.int("offset", in: 0...Int.max) ?? 0
        asOf = try q.time("at") ?? now
    }
}
