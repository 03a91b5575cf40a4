import Access
import EventLog
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import Projections
import ThroughlineCore
import WebPages

/// The HTML pages for CSMs: the portfolio, an account, and the what-if reports. Every page is
/// the API's reads rendered; the note and override forms append an event through the same
/// ingest path as any producer.
struct PageRoutes: Sendable {
    let store: EventStore
    let projections: ProjectionStore
    let projector: ProjectorRunner
    let options: ServerOptions
    let gate: IngestGate
    let replays: String
    let logger: Logger
    let pool: ReadPool
    /// The forms' anti-forgery token: random per server start, only ever written into pages
    /// this server serves (another site cannot read them, so cannot post a form that passes).
    let csrf: String

    init(store: EventStore, projections: ProjectionStore, projector: ProjectorRunner, options: ServerOptions, gate: IngestGate, replays: String,
         logger: Logger, pool: ReadPool) {
        (self.store, self.projections, self.projector, self.options, self.gate, self.replays) = (store, projections, projector, options, gate, replays)
        (self.logger, self.pool) = (logger, pool)
        csrf = RandomText.hex(16)
    }

    /// `GET /`: the portfolio with filters, sortable columns, trends and flags.
    func portfolio(_ request: Request, _ context: ServerContext) throws -> Response {
        var filter: PortfolioFilter
        do {
            filter = try PortfolioFilter(try Query(request, allowed: ["status", "csm", "band", "renewal_within", "flag", "sort", "order", "offset"], dropEmpty: true), now: options.clock.now())
        } catch let problem as Query.Problem {
            return Self.html(.badRequest, HTML.problem("Portfolio", problem.message, viewer: Self.viewer(context)))
        }
        // A CSM sees their own book first; choosing "all" in the filter (an empty csm) shows every account.
        if let principal = context.principal, principal.role == .csm, request.uri.queryParameters["csm"] == nil, let own = principal.book.first {
            filter.csm = own
        }
        var params = PortfolioPage.Params()
        (params.csm, params.band, params.renewalWithin, params.flag) = (filter.csm, filter.bands?.first?.rawValue, filter.renewalWithinDays, filter.flag)
        params.status = filter.status == .active ? nil : filter.status.rawValue
        (params.sort, params.descending, params.offset) = (filter.sort.rawValue, filter.descending, filter.offset)
        filter.withFlags = true
        let page = try projections.portfolio(filter)
        var trends: [String: [Double?]] = [:]
        for a in page.accounts {
            guard let (_, series) = try projections.scoreSeries(a.account) else { continue }
            trends[a.account] = (series.lastDay - 29...series.lastDay).map { series.score(on: $0) }
        }
        return Self.html(.ok, PortfolioPage.render(page, trends: trends, params: params, csms: try projections.csms(),
                                                   flags: ContextView.Flag.allCases.map(\.rawValue), viewer: Self.viewer(context)))
    }

    /// `GET /accounts/{id}?types=&cursor=`: the account page.
    func account(_ request: Request, _ account: String, _ context: ServerContext) throws -> Response {
        var filter = TimelineFilter()
        let notice: String?
        do {
            let q = try Query(request, allowed: ["types", "cursor", "added"], dropEmpty: true)
            filter.kinds = try q.list("types", of: TimelineEntry.Kind.self)
            filter.cursor = try q.string("cursor")
            notice = try q.string("added").map { "Added the \($0 == "override" ? "override" : "note"); it is in the timeline below." }
        } catch let problem as Query.Problem {
            return Self.html(.badRequest, HTML.problem(account, problem.message, viewer: Self.viewer(context)))
        }
        filter.limit = 100
        guard var model = try model(account, filter, context) else {
            return Self.html(.notFound, HTML.problem(account, "No account \(account): no event of it is in the read models.", viewer: Self.viewer(context)))
        }
        model.notice = notice
        return Self.html(.ok, AccountPage.render(model))
    }

    /// Everything the account page shows, or nil for an unknown account.
    func model(_ account: String, _ filter: TimelineFilter, _ context: ServerContext) throws -> AccountPage.Model? {
        guard let view = try projections.context(account, asOf: options.clock.now(), reader: context.principal),
              let timeline = try projections.timeline(account, filter, reader: context.principal) else { return nil }
        var model = AccountPage.Model(account: account, context: view, timeline: timeline.jsonValue, csrf: formToken(context), formID: RandomText.hex(12))
        model.viewer = Self.viewer(context)
        if let principal = context.principal {
            model.mayAnnotate = principal.mayAnnotate(accountCSM: view.profile["csm"]?.scalarText)
            model.author = principal.name
        }
        model.types = filter.kinds?.map(\.rawValue) ?? []
        model.allTypes = TimelineEntry.Kind.allCases.map(\.rawValue)
        model.scores = try projections.scores(account)
        model.overrides = try projections.overrides(account).map { o in
            .object([JSONMember("time", .string(Timestamp.utc(microseconds: o.timeMicros).description)), JSONMember("band", .string(o.band.rawValue)),
                     JSONMember("title", .string("override \(o.band.rawValue) by \(o.author): \(o.reason)" + (o.expires.map { " (until \($0))" } ?? "")))])
        }
        // The latest events behind each top reason, read from the log.
        var seqs: Set<UInt64> = []
        for r in view.health?.summary.topReasons ?? [] { seqs.formUnion(r.seqs.sorted().suffix(AccountPage.eventsPerReason)) }
        let snapshot = store.snapshot()
        let redactor = try EventRedactor(projections, reader: context.principal)
        model.reasonEvents = try seqs.sorted().compactMap { try snapshot.event(at: $0).map(redactor.redact)?.jsonValue }
        return model
    }

    /// The fields of the note and override forms.
    struct EntryForm: Decodable {
        var csrf: String?
        var kind: String?
        var event_id: String?
        var author: String?
        var text: String?
        var visibility: String?
        var band: String?
        var reason: String?
        var expires: String?
        /// The task a `close_task` form closes.
        var task: String?
    }

    /// `POST /accounts/{id}/events`: a CSM note or override from the account page's forms,
    /// appended as a `note.added` or `health.override` event through the ingest path, then back
    /// to the account page once the timeline holds it.
    func addEntry(_ request: Request, _ context: ServerContext) async throws -> Response {
        let account = Query.pathID(context)
        if let refusal = Self.forgeryRefusal(request) { return Self.html(.forbidden, HTML.problem("Refused", refusal)) }
        let body = try await request.body.collect(upTo: 64 * 1024)
        var form: EntryForm
        do {
            form = try URLEncodedFormDecoder().decode(EntryForm.self, from: String(buffer: body))
        } catch {
            return Self.html(.badRequest, HTML.problem(account, "the form could not be read: \(error)"))
        }
        // A bearer token is sent by a program, never by a browser on its own: no forgery to guard against.
        guard context.principal?.kind == .token || form.csrf == formToken(context) else {
            return Self.html(.forbidden, HTML.problem("Refused", "the form's token is missing or out of date (the server restarted?); reload the page and send it again"))
        }
        if let principal = context.principal {
            let csm = try await pool.run { try projections.context(account, asOf: options.clock.now())?.profile["csm"]?.scalarText }
            guard principal.mayAnnotate(accountCSM: csm) else {
                return Self.html(.forbidden, HTML.problem("Refused", "\(principal.label) may add notes and overrides only to the accounts of their book ("
                                                          + (principal.book.isEmpty ? "none named" : principal.book.joined(separator: ", "))
                                                          + "); \(account)'s CSM is \(csm ?? "not named")", viewer: Self.viewer(context)))
            }
            form.author = principal.name
        }
        guard let line = Self.eventLine(account, form, now: options.clock.now()) else {
            return Self.html(.badRequest, HTML.problem(account, "kind: must be note or override"))
        }
        guard await gate.enter() else {
            return Self.html(.serviceUnavailable, HTML.problem(account, "the log writer is busy; send the form again in a moment"))
        }
        let results: IngestResults
        do {
            defer { gate.leave() }
            let session = IngestSession(store: store, batchSize: 1, maxLineBytes: options.maxLineBytes)
            let bytes = Array(line.utf8)
            bytes.withUnsafeBufferPointer { session.take(1, .text($0)) }
            results = try await session.finish()
        }
        let outcome = results.line(1)
        // The event id is the form's: a form sent twice (a reload, a double click) finds its
        // first event stored, a duplicate or, its time being later, a conflict; either way it is added once.
        guard let seq = outcome.seq, outcome.status != .rejected else {
            guard var model = try await pool.run({ try model(account, TimelineFilter(), context) }) else {
                return Self.html(.badRequest, HTML.problem(account, outcome.error ?? "the event was refused"))
            }
            model.problem = "Not added: " + (outcome.error ?? "the event was refused")
            model.draftKind = form.kind
            model.draft = ["author": form.author, "text": form.text, "visibility": form.visibility, "band": form.band, "reason": form.reason, "expires": form.expires]
                .compactMapValues { $0 }
            return Self.html(.badRequest, AccountPage.render(model))
        }
        _ = await projector.waitUntilApplied(seq, timeout: options.readWait)
        var response = Response(status: .seeOther)
        response.headers[.location] = form.kind == "close_task" ? "/tasks?closed=\(percentEncoded(form.task ?? ""))"
            : "/accounts/\(percentEncoded(account))?added=\(form.kind == "override" ? "override" : "note")#timeline"
        return response
    }

    /// The event a form describes, as one NDJSON line; nil for an unknown kind. Checking the
    /// fields is the ingest path's work, as for any producer.
    static func eventLine(_ account: String, _ form: EntryForm, now: Int64) -> String? {
        let type: String
        var data: [JSONMember] = [JSONMember("author", .string(form.author ?? ""))]
        switch form.kind {
        case "close_task":
            type = "task.closed"
            data = [JSONMember("task_id", .string(form.task ?? ""))]
        case "note":
            type = "note.added"
            data.append(JSONMember("text", .string(form.text ?? "")))
            if let v = form.visibility, !v.isEmpty { data.append(JSONMember("visibility", .string(v))) }
        case "override":
            type = "health.override"
            data += [JSONMember("band", .string(form.band ?? "")), JSONMember("reason", .string(form.reason ?? ""))]
            if let x = form.expires, !x.isEmpty { data.append(JSONMember("expires", .string(x))) }
        default:
            return nil
        }
        let id = form.event_id.flatMap { $0.isEmpty ? nil : $0 } ?? "web-" + RandomText.hex(12)
        return JSONWriter.string(.object([
            JSONMember("id", .string(id)), JSONMember("account", .string(account)), JSONMember("type", .string(type)),
            JSONMember("time", .string(Timestamp.utc(microseconds: now).description)), JSONMember("source", .string("web")),
            JSONMember("actor", .string(form.author.map { $0.isEmpty ? "web" : "csm:" + $0 } ?? "web")), JSONMember("data", .object(data)),
        ]))
    }

    /// Why a form post is refused before its token is read: a browser that says the request
    /// comes from another site (`Sec-Fetch-Site`, or an `Origin` whose host is not this one).
    static func forgeryRefusal(_ request: Request) -> String? {
        if let site = request.headers[HTTPField.Name("Sec-Fetch-Site")!], site != "same-origin", site != "none" {
            return "a form posted from another site (Sec-Fetch-Site: \(site)) is not accepted"
        }
        if let origin = request.headers[.origin], origin != "null" {
            let host = request.head.authority ?? ""
            guard let url = URL(string: origin), let originHost = url.host else { return "Origin \(origin) is not a URL" }
            let originAuthority = originHost + (url.port.map { ":\($0)" } ?? "")
            if originAuthority != host { return "a form posted from \(origin) is not accepted here (\(host))" }
        }
        return nil
    }

    /// `GET /tasks?assignee=NAME`: the open tasks, a signed-in person's own by default
    /// (`assignee=` empty: everyone's).
    func tasks(_ request: Request, _ context: ServerContext) throws -> Response {
        let q = try Query(request, allowed: ["assignee", "closed"])
        let given = try q.string("assignee")
        let assignee = given == nil ? context.principal.flatMap { $0.kind == .token ? nil : $0.name } : given!.isEmpty ? nil : given
        let model = TasksPage.Model(tasks: try projections.tasks(assignee: assignee), assignee: assignee,
                                    today: Day(containing: options.clock.now()).number, csrf: formToken(context), closed: try q.string("closed"))
        return Self.html(.ok, TasksPage.render(model, viewer: Self.viewer(context)))
    }

    /// `GET /triage?tier=`: the open tickets by triage priority, one tier's if given.
    func triage(_ request: Request, _ context: ServerContext) throws -> Response {
        let q = try Query(request, allowed: ["tier"])
        let tier = try q.string("tier")
        let tiers = options.triage?.tiers.map(\.name) ?? []
        return Self.html(.ok, TriagePage.render(try projections.triageQueue(tier: tier), tier: tier, tiers: tiers, viewer: Self.viewer(context)))
    }

    /// `GET /patterns?weeks=N`: the patterns across accounts.
    func patterns(_ request: Request, _ context: ServerContext) throws -> Response {
        let q = try Query(request, allowed: ["weeks"])
        let weeks = try PatternRoutes.weeks(q)
        let report = try projections.patterns(recentWeeks: weeks)
        return Self.html(.ok, PatternsPage.render(cohorts: report.cohorts, resemblances: report.resemblances, weeks: weeks, through: report.through,
                                                  viewer: Self.viewer(context)))
    }

    /// `GET /messages?actor=&template=&account=&kind=`: the message audit, per sender and template.
    func messages(_ request: Request, _ context: ServerContext) throws -> Response {
        let q = try Query(request, allowed: MessageRoutes.parameters)
        let filter = try MessageRoutes.filter(q)
        let found = try projections.messageFindings(filter)
        let named = [filter.actor, filter.template, filter.account, filter.kind?.rawValue].compactMap { $0 }
        return Self.html(.ok, MessagesPage.render(senders: found.senders, findings: found.findings,
                                                  filter: named.isEmpty ? nil : named.joined(separator: " · "), viewer: Self.viewer(context)))
    }

    /// `GET /overrides`: the overrides that disagree with the computed band, oldest first.
    func overrides(_ context: ServerContext) throws -> Response {
        Self.html(.ok, OverridesPage.render(try projections.overrideInbox(asOf: options.clock.now()), viewer: Self.viewer(context)))
    }

    /// `GET /unlinked`: the references no account is linked to.
    func unlinked(_ context: ServerContext) throws -> Response {
        Self.html(.ok, UnlinkedPage.render(try projections.unlinked(), viewer: Self.viewer(context)))
    }

    /// `GET /data-quality`: what keeps the shared picture from being whole.
    func dataQuality(_ context: ServerContext) throws -> Response {
        Self.html(.ok, DataQualityPage.render(try projections.dataQuality(now: options.clock.now()), viewer: Self.viewer(context)))
    }

    /// The forms' anti-forgery token: the page session's own, or the server start's on an open listener.
    func formToken(_ context: ServerContext) -> String { context.sessionCSRF ?? csrf }

    /// Who a page is shown to, for its navigation (nil on an open listener).
    static func viewer(_ context: ServerContext) -> HTML.Viewer? {
        context.principal.map { HTML.Viewer(name: $0.name, role: $0.role, csrf: context.sessionCSRF) }
    }

    /// `GET /replays`: the what-if reports under the replays directory.
    func replayIndex(_ context: ServerContext) -> Response {
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: replays)) ?? []).sorted()
        let listed = names.filter { FileManager.default.fileExists(atPath: replays + "/" + $0 + "/whatif.sqlite") }.map { id in
            do {
                return ReplayReportPage.Listed(id: id, report: try WhatIfStore.storedReport(in: replays + "/" + id), problem: nil)
            } catch {
                logger.error("a what-if report cannot be read", metadata: ["replay": "\(id)", "error": "\(error)"])
                return ReplayReportPage.Listed(id: id, report: nil, problem: Self.unreadableReport)
            }
        }
        return Self.html(.ok, ReplayReportPage.index(listed, viewer: Self.viewer(context)))
    }

    /// `GET /replays/{id}`: one replay's report, read from its what-if store.
    func replay(_ id: String, _ context: ServerContext) -> Response {
        guard !id.isEmpty, !id.hasPrefix("."), !id.contains("/") else {
            return Self.html(.badRequest, HTML.problem("What-if report", "\(id) is not a replay's name"))
        }
        do {
            return Self.html(.ok, ReplayReportPage.render(try WhatIfStore.storedReport(in: replays + "/" + id), standalone: false,
                                                          viewer: Self.viewer(context)))
        } catch let e as ReadModelError where e.kind == .notFound {
            return Self.html(.notFound, HTML.problem("What-if report", "there is no replay named \(id)"))
        } catch {
            logger.error("a what-if report cannot be read", metadata: ["replay": "\(id)", "error": "\(error)"])
            return Self.html(.internalServerError, HTML.problem("What-if report", Self.unreadableReport))
        }
    }

    /// What a page says of a report it cannot read: the path and the cause go to the log only.
    static let unreadableReport = "this report cannot be read (damaged or from another version); the server's log names the file and the cause"

    /// A page, with headers that keep it from loading anything from elsewhere, running script,
    /// or being framed by another site.
    static func html(_ status: HTTPResponse.Status, _ page: String) -> Response {
        Response(status: status, headers: [
            .contentType: "text/html; charset=utf-8",
            .contentSecurityPolicy: "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
            .xContentTypeOptions: "nosniff", HTTPField.Name("Referrer-Policy")!: "same-origin", .cacheControl: "no-store",
        ], body: ResponseBody(byteBuffer: ByteBuffer(string: page)))
    }
}
