import ThroughlineCore

/// Generates a deterministic, realistic dataset as NDJSON lines: accounts that renew, expand
/// and churn, with the patterns the field describes before a churn (usage declining over
/// weeks, feature breadth narrowing, fewer questions, falling sentiment, missed milestones,
/// CSM overrides, champion changes), a cluster of bug tickets on one plan after a release,
/// and late (backdated) events that arrive days after they happened. It is not flattering on
/// purpose: declines start 30 to 240 days before the churn and build at different paces, some
/// churns come without warning, some renewing accounts dip and recover, usage follows the
/// seasons, and moods in calls and tickets are noisy and differ by account.
public struct DatasetGenerator {
    public struct Options: Sendable {
        public var accounts = 200
        public var days = 365
        public var seed: UInt64 = 1
        /// The first day of the dataset.
        public var start = CalendarDate(year: 2025, month: 1, day: 1)
        /// Share of events delivered late (1 to 14 days after their time).
        public var lateShare = 0.02
        /// Share of churning accounts that leave without warning in their events.
        public var silentChurnShare = 0.15
        /// Share of renewing accounts with a temporary dip they recover from.
        public var dipShare = 0.2
        /// Days before a churn its decline starts (each account draws one).
        public var declineDays = 30...240
        /// How deep usage falls in the seasons for the most seasonal account (0: not at all).
        public var seasonality = 0.4
        /// How widely accounts' usual moods, and single readings, spread in sentiment (0–1).
        public var sentimentNoise = 0.5
        /// Share of accounts the help desk and telemetry name by their own ids (linked by the CRM
        /// at the start, weeks later, or not within the data).
        public var referenceShare = 0.0
        /// Share of those accounts with a duplicate the CRM merges later.
        public var duplicateShare = 0.15
        /// Share of accounts whose people the CRM sends (`contact.updated`), named on calls and
        /// tickets.
        public var peopleShare = 0.0
        public init() {}
    }

    let options: Options
    var rng: SplitMix
    var accounts: [AccountSim] = []
    /// Late events waiting for their delivery day.
    var late: [Int: [[UInt8]]] = [:]
    var ticketCounter = 40_000
    /// Day of the release that breaks something for the `growth` plan.
    let releaseDay: Int

    static let features = ["dashboards", "reports", "exports", "alerts", "api", "sso", "automations",
                           "integrations", "mobile", "audit_log", "forecasts", "segments"]
    static let csms = ["maria", "jonas", "aiko", "dev", "leila", "tomas", "ines", "kwame"]
    static let plans = ["starter", "growth", "enterprise"]
    static let names = ["Acme", "Globex", "Initech", "Umbrella", "Hooli", "Vandelay", "Stark", "Wayne", "Tyrell",
                        "Cyberdyne", "Soylent", "Wonka", "Gringotts", "Oscorp", "Pied Piper", "Monarch",
                        "Aperture", "Black Mesa", "Massive Dynamic", "Nakatomi"]
    static let suffixes = ["Labs", "Systems", "Logistics", "Health", "Retail", "Capital", "Foods", "Media", "Works", "Group"]
    static let people = ["ana", "ben", "chen", "dara", "eli", "fatima", "gus", "hana", "ivan", "jade", "kofi", "lena"]

    public init(_ options: Options) {
        self.options = options
        rng = SplitMix(seed: options.seed)
        releaseDay = options.days / 2
        for i in 0..<options.accounts { accounts.append(AccountSim(index: i, options: options, rng: &rng)) }
    }

    /// Writes the dataset, one NDJSON line per event, calling `write` with batches of bytes.
    public mutating func run(_ write: ([UInt8]) throws -> Void) rethrows {
        var out: [UInt8] = []
        out.reserveCapacity(1 << 20)
        for day in 0..<options.days {
            if day == releaseDay { release(day: day, into: &out) }
            for a in accounts.indices { simulate(account: a, day: day, into: &out) }
            if let due = late.removeValue(forKey: day) { for line in due { out.append(contentsOf: line) } }
            if out.count > 1 << 20 {
                try write(out)
                out.removeAll(keepingCapacity: true)
            }
        }
        for day in late.keys.sorted() { for line in late[day]! { out.append(contentsOf: line) } }
        late.removeAll()
        try write(out)
    }

    /// Writes one event of `a` (filed under `key`: a reference's key, or a duplicate's id).
    /// Who a CSM's note is for: one in ten the account's team, one in ten the author alone (by
    /// day, so that the random draws of the rest stay as they were).
    static func visibility(day: Int) -> [JSONMember] {
        switch day % 10 {
        case 3: [JSONMember("visibility", .string("team"))]
        case 7: [JSONMember("visibility", .string("private"))]
        default: []
        }
    }

    mutating func emit(_ a: inout AccountSim, day: Int, second: Int, type: EventType, id: String,
                       source: String, actor: String?, data: [JSONMember], key: String? = nil, into out: inout [UInt8]) {
        let date = CalendarDate(daysSinceEpoch: options.start.daysSinceEpoch + day)
        let time = Timestamp(seconds: Int64(date.daysSinceEpoch) * 86_400 + Int64(second))
        let event = Event(id: id, account: key ?? a.id, type: type, time: time, source: source, actor: actor, data: data)
        var line: [UInt8] = []
        JSONWriter.write(event.jsonValue, into: &line)
        line.append(0x0A)
        if rng.chance(options.lateShare) && type != .accountUpdated {
            late[day + rng.int(1...14), default: []].append(line)
        } else {
            out.append(contentsOf: line)
        }
    }

    /// The release that breaks exports for the `growth` plan (its tickets follow in `simulate`).
    func release(day: Int, into out: inout [UInt8]) {
        let date = CalendarDate(daysSinceEpoch: options.start.daysSinceEpoch + day)
        let event = Event(id: "release-4.2", account: ProductReleased.account, type: .productReleased,
                          time: Timestamp(seconds: Int64(date.daysSinceEpoch) * 86_400 + 6 * 3600), source: "deploys", actor: "ci:release",
                          data: [JSONMember("version", .string("4.2")), JSONMember("notes", .string("New export pipeline"))])
        JSONWriter.write(event.jsonValue, into: &out)
        out.append(0x0A)
    }

    mutating func simulate(account i: Int, day: Int, into out: inout [UInt8]) {
        var a = accounts[i]
        defer { accounts[i] = a }
        guard day >= a.startDay, !a.ended else { return }
        let date = CalendarDate(daysSinceEpoch: options.start.daysSinceEpoch + day)
        let risk = a.risk(day: day)  // 0 healthy .. 1 about to churn
        let csm = a.csm

        if day == a.startDay {
            let domain = a.identities.domain.map { [JSONMember("domain", .string($0))] } ?? []
            emit(&a, day: day, second: 8 * 3600, type: .accountUpdated, id: "crm-\(a.id)-created", source: "crm",
                 actor: "automation:crm-sync", data: a.profile(date: date) + domain, into: &out)
            if a.identities.mergeDay != nil {
                // The CRM's import made the same customer twice: same name, same domain.
                emit(&a, day: day, second: 8 * 3600 + 30, type: .accountUpdated, id: "crm-\(a.id)-dup-created", source: "crm",
                     actor: "automation:crm-import", data: [JSONMember("name", .string(a.name))] + domain, key: a.id + "-dup", into: &out)
            }
            for (k, p) in a.contacts.people.enumerated() {
                emit(&a, day: day, second: 8 * 3600 + 40 + k, type: .contactUpdated, id: "crm-\(a.id)-contact-\(k + 1)", source: "crm",
                     actor: "automation:crm-sync", data: Contacts.data(p), into: &out)
            }
            for (k, m) in ["kickoff", "data_connected", "first_dashboard", "team_trained"].enumerated() {
                let due = CalendarDate(daysSinceEpoch: date.daysSinceEpoch + 14 * (k + 1))
                emit(&a, day: day, second: 8 * 3600 + 60 + k, type: .milestoneUpdated, id: "onb-\(a.id)-\(m)-planned",
                     source: "onboarding", actor: "csm:\(csm)",
                     data: [JSONMember("milestone", .string(m)), JSONMember("status", .string("planned")),
                            JSONMember("due_date", .string(due.description))], into: &out)
            }
        }
        // Onboarding milestones come due every two weeks; accounts at risk miss them.
        let age = day - a.startDay
        // One account in 25 withdraws its consent to calls four months in; its CSM goes on calling.
        if i % 25 == 7 && age == 120 {
            let event = Event(id: "crm-\(a.id)-consent-calls", account: a.id, type: .accountUpdated,
                              time: Timestamp(seconds: Int64(date.daysSinceEpoch) * 86_400 + 9 * 3600), source: "crm", actor: "automation:crm-sync",
                              data: [JSONMember("consent", .object([JSONMember("calls", .bool(false))]))])
            JSONWriter.write(event.jsonValue, into: &out)
            out.append(0x0A)
        }
        if age > 0, age % 14 == 0, age / 14 <= 4 {
            let m = ["kickoff", "data_connected", "first_dashboard", "team_trained"][age / 14 - 1]
            let missed = rng.chance(0.1 + 0.4 * max(risk, a.declines ? 0.5 : 0))
            emit(&a, day: day, second: 17 * 3600, type: .milestoneUpdated, id: "onb-\(a.id)-\(m)-\(missed ? "missed" : "reached")",
                 source: "onboarding", actor: "automation:tracker",
                 data: [JSONMember("milestone", .string(m)), JSONMember("status", .string(missed ? "missed" : "reached"))], into: &out)
        }

        // Daily usage: utilisation falls and breadth narrows as risk rises; weekends are quiet.
        let weekday = (date.daysSinceEpoch + 3) % 7  // 0 = Monday
        let weekend = weekday >= 5 ? 0.3 : 1.0
        let lull = 1 - a.seasonality * seasonalLull(date)
        let util = max(0.02, a.baseUtilisation * (1 - 0.85 * risk) * weekend * lull * (0.9 + 0.2 * rng.unit()))
        let active = Int(Double(a.seats) * util)
        let breadth = max(1, Int(Double(a.baseBreadth) * (1 - 0.7 * risk)))
        var features: [JSONMember] = []
        for f in DatasetGenerator.features.prefix(breadth) {
            features.append(JSONMember(f, .number(String(active * rng.int(1...6)))))
        }
        emit(&a, day: day, second: 23 * 3600 + 59 * 60, type: .usageRecorded, id: "usage-\(a.id)-\(date)", source: "telemetry",
             actor: "automation:rollup",
             data: [JSONMember("period_start", .string(date.description)), JSONMember("period", .string("day")),
                    JSONMember("active_users", .number(String(active))),
                    JSONMember("events", .number(String(active * rng.int(20...60)))), JSONMember("features", .object(features))],
             key: a.identities.telemetry?.key, into: &out)

        // Tickets: healthy accounts ask questions; accounts at risk stop asking and hit bugs.
        var ticketRate = a.ticketRate * (weekday >= 5 ? 0.2 : 1.0)
        let releaseCluster = a.plan == "growth" && day >= releaseDay && day < releaseDay + 5
        if releaseCluster { ticketRate += 0.5 }
        for _ in 0..<rng.poisson(ticketRate) {
            ticketCounter += 1
            let tid = String(ticketCounter)
            let category: String
            if releaseCluster && rng.chance(0.7) { category = "bug" }
            else if rng.chance(0.55 * (1 - risk)) { category = rng.pick(["question", "how_to"]) }
            else { category = rng.pick(["bug", "billing", "feature_request", "bug", "outage"]) }
            let priority = category == "outage" || (category == "bug" && rng.chance(0.3 + 0.3 * risk))
                ? rng.pick(["urgent", "high"]) : rng.pick(["normal", "low", "normal"])
            let subject = releaseCluster && category == "bug" ? "Export to CSV times out since release 4.2"
                : "\(category.split(separator: "_").joined(separator: " ").capitalizedFirst) about \(rng.pick(DatasetGenerator.features))"
            let second = 9 * 3600 + rng.int(0...28_000)
            emit(&a, day: day, second: second, type: .ticketOpened, id: "zd-\(tid)-opened", source: "zendesk",
                 actor: "customer:\(rng.pick(DatasetGenerator.people))",
                 data: [JSONMember("ticket_id", .string(tid)), JSONMember("priority", .string(priority)),
                        JSONMember("category", .string(category)), JSONMember("subject", .string(subject)),
                        JSONMember("channel", .string(rng.pick(["email", "web", "chat"])))]
                    + (a.contacts.requester().map { [JSONMember("requester", .string($0))] } ?? []),
                 key: a.identities.helpdesk?.key, into: &out)
            a.openTickets.append(OpenTicket(id: tid, closeDay: day + rng.int(0...(priority == "urgent" ? 2 : 10)),
                                            updated: false))
        }
        var still: [OpenTicket] = []
        for var t in a.openTickets {
            if !t.updated && day < t.closeDay && rng.chance(0.4) {
                t.updated = true
                emit(&a, day: day, second: 12 * 3600 + rng.int(0...3600), type: .ticketUpdated, id: "zd-\(t.id)-updated",
                     source: "zendesk", actor: "agent:\(rng.pick(DatasetGenerator.people))",
                     data: [JSONMember("ticket_id", .string(t.id)), JSONMember("status", .string("pending")),
                            JSONMember("sentiment", .number(formatSentiment(a.mood - 1.1 * risk + options.sentimentNoise * (rng.unit() - 0.5) * 2)))],
                     key: a.identities.helpdesk?.key, into: &out)
            }
            if day >= t.closeDay {
                var data = [JSONMember("ticket_id", .string(t.id)), JSONMember("resolution", .string(rng.pick(["solved", "workaround", "duplicate"])))]
                if rng.chance(0.5) {
                    data.append(JSONMember("csat", .number(String(max(1, min(5, Int(5.5 - 3.5 * risk - rng.unit())))))))
                }
                emit(&a, day: day, second: 18 * 3600 + rng.int(0...3000), type: .ticketClosed, id: "zd-\(t.id)-closed",
                     source: "zendesk", actor: "agent:\(rng.pick(DatasetGenerator.people))", data: data, key: a.identities.helpdesk?.key, into: &out)
            } else {
                still.append(t)
            }
        }
        a.openTickets = still

        // The CRM links the help desk's and telemetry's ids to the account, and merges the duplicate
        // its import made (whose calls and notes land on it until then).
        for ref in a.identities.links(day: day) {
            emit(&a, day: day, second: 7 * 3600, type: .identityLinked, id: "crm-\(a.id)-link-\(ref.system)", source: "crm",
                 actor: "automation:identity", data: [JSONMember("ref", ref.jsonValue)], into: &out)
        }
        let duplicate = a.identities.mergeDay.map { day < $0 ? a.id + "-dup" : nil } ?? nil
        if day == a.identities.mergeDay {
            emit(&a, day: day, second: 7 * 3600 + 60, type: .accountMerged, id: "crm-\(a.id)-dup-merged", source: "crm",
                 actor: "automation:identity", data: [JSONMember("into", .string(a.id)), JSONMember("reason", .string("duplicate from the CRM import"))],
                 key: a.id + "-dup", into: &out)
        }
        // Success calls every couple of weeks (less often when the customer disengages), a QBR a quarter.
        if weekday < 5 && rng.chance((risk > 0.5 ? 0.04 : 0.09) * lull) {
            let qbr = rng.chance(0.15)
            let sentiment = formatSentiment(a.mood + 0.1 - 1.3 * risk + options.sentimentNoise * (rng.unit() - 0.5) * 2)
            emit(&a, day: day, second: 15 * 3600, type: .callCompleted, id: "gong-\(a.id)-\(day)", source: "gong",
                 actor: "csm:\(csm)",
                 data: [JSONMember("kind", .string(qbr ? "qbr" : rng.pick(["call", "meeting"]))),
                        JSONMember("duration_s", .number(String(rng.int(900...3600)))),
                        JSONMember("team", .string(rng.chance(0.8) ? "success" : rng.pick(["sales", "product", "support"]))),
                        JSONMember("participants", .array([.string("csm:\(csm)"), .string(a.contacts.callHandle() ?? "customer:\(a.champion)")])),
                        JSONMember("sentiment", .number(sentiment)),
                        JSONMember("summary", .string(risk > 0.5 ? "Customer raised concerns about value and adoption"
                                                      : "Reviewed adoption and next goals")),
                        JSONMember("topics", .array([.string(rng.pick(["adoption", "roadmap", "pricing", "training", "integrations"]))]))],
                 key: duplicate, into: &out)
            if rng.chance(0.6) {
                emit(&a, day: day, second: 15 * 3600 + 3700, type: .noteAdded, id: "note-\(a.id)-\(day)", source: "throughline",
                     actor: "csm:\(csm)",
                     data: [JSONMember("author", .string(csm)),
                            JSONMember("text", .string(risk > 0.5 ? "Champion less engaged; usage sliding. Plan exec sponsor call."
                                                       : "Healthy call. Interested in \(rng.pick(DatasetGenerator.features)).")),
                            JSONMember("tags", .array([.string(risk > 0.5 ? "risk" : "adoption")]))]
                        + Self.visibility(day: day), key: duplicate, into: &out)
            }
        }
        // NPS once a quarter.
        if age > 0 && age % 91 == 45 {
            let score = max(0, min(10, Int(9.5 - 8 * risk + 2 * (rng.unit() - 0.5))))
            emit(&a, day: day, second: 11 * 3600, type: .surveyAnswered, id: "nps-\(a.id)-\(day)", source: "delighted",
                 actor: "customer:\(a.champion)",
                 data: [JSONMember("kind", .string("nps")), JSONMember("score", .number(String(score)))], into: &out)
        }
        // Community participation fades with disengagement.
        if rng.chance(a.communityRate * (1 - risk)) {
            emit(&a, day: day, second: 13 * 3600, type: .communityActivity, id: "community-\(a.id)-\(day)", source: "community",
                 actor: "customer:\(rng.pick(DatasetGenerator.people))",
                 data: [JSONMember("kind", .string(rng.pick(["post", "answer", "event_attended", "advocacy"]))),
                        JSONMember("topic", .string(rng.pick(DatasetGenerator.features)))], into: &out)
        }
        // The champion leaves some accounts heading for churn.
        if a.declines && !a.championChanged && risk > 0.6 && rng.chance(0.05) {
            a.championChanged = true
            a.champion = rng.pick(DatasetGenerator.people) + "2"
            emit(&a, day: day, second: 10 * 3600, type: .accountUpdated, id: "crm-\(a.id)-champion-\(day)", source: "crm",
                 actor: "automation:crm-sync", data: [JSONMember("champion", .string(a.champion))], into: &out)
            if let (old, new) = a.contacts.replaceChampion(with: a.champion) {
                emit(&a, day: day, second: 10 * 3600 + 1, type: .contactUpdated, id: "crm-\(a.id)-left-\(day)", source: "crm",
                     actor: "automation:crm-sync", data: [JSONMember("person", .string(old.id)), JSONMember("left", .bool(true))], into: &out)
                emit(&a, day: day, second: 10 * 3600 + 2, type: .contactUpdated, id: "crm-\(a.id)-contact-\(a.contacts.people.count)", source: "crm",
                     actor: "automation:crm-sync", data: Contacts.data(new), into: &out)
            }
        }
        // A CSM who senses trouble overrides the band; some are optimistic.
        if risk > 0.4 && !a.overridden && rng.chance(0.03) {
            a.overridden = true
            let band = rng.chance(0.8) ? "red" : "green"
            emit(&a, day: day, second: 16 * 3600, type: .healthOverride, id: "override-\(a.id)-\(day)", source: "throughline",
                 actor: "csm:\(csm)",
                 data: [JSONMember("author", .string(csm)), JSONMember("band", .string(band)),
                        JSONMember("reason", .string(band == "red" ? "Champion quiet, exec sponsor unresponsive" : "Verbal commitment to renew")),
                        JSONMember("expires", .string(CalendarDate(daysSinceEpoch: date.daysSinceEpoch + 30).description))], into: &out)
        }
        // Outcomes at the end of the term.
        if day == a.outcomeDay {
            switch a.fate {
            case .churn:
                emit(&a, day: day, second: 17 * 3600, type: .accountChurned, id: "crm-\(a.id)-churned", source: "crm",
                     actor: "automation:crm-sync",
                     data: [JSONMember("reason", .string(rng.pick(["low adoption", "budget cuts", "moved to competitor", "champion left"])))],
                     into: &out)
                a.ended = true
            case .renew, .expand:
                let arr = a.fate == .expand ? a.arr * 1.3 : a.arr
                emit(&a, day: day, second: 17 * 3600, type: .accountRenewed, id: "crm-\(a.id)-renewed-\(day)", source: "crm",
                     actor: "automation:crm-sync",
                     data: [JSONMember("arr", .number(String(Int(arr)))), JSONMember("term_months", .number("12"))], into: &out)
                if a.fate == .expand {
                    a.seats = Int(Double(a.seats) * 1.3)
                    a.arr = arr
                    emit(&a, day: day, second: 17 * 3600 + 60, type: .accountUpdated, id: "crm-\(a.id)-expanded-\(day)",
                         source: "crm", actor: "automation:crm-sync",
                         data: [JSONMember("seats", .number(String(a.seats))), JSONMember("arr", .number(String(Int(arr))))],
                         into: &out)
                }
                a.outcomeDay += 365
            }
        }
    }

    /// What the data was generated from, as CSV with a header: each account's fate, the day of
    /// its churn, whether the churn showed beforehand and from when, and its temporary dip. The
    /// truth a validation needs ("churners with warning signs") and the log does not say.
    public func truth() -> String {
        func date(_ day: Int?) -> String { day.map { CalendarDate(daysSinceEpoch: options.start.daysSinceEpoch + $0).description } ?? "" }
        var out = "account,fate,churn_date,warns,decline_start,dip_start,dip_end\n"
        for a in accounts {
            let churn = a.fate == .churn && a.ended ? a.outcomeDay : nil
            let fate = a.fate == .churn ? "churn" : a.fate == .expand ? "expand" : "renew"
            let dipEnd = a.dip.map { $0.start + $0.days - 1 }
            out += [a.id, fate, date(churn), a.fate == .churn ? String(a.warns) : "", date(a.declineStart.map { max($0, a.startDay) }),
                    date(a.dip.map(\.start)), date(dipEnd)].joined(separator: ",") + "\n"
        }
        return out
    }

    func formatSentiment(_ v: Double) -> String {
        let c = max(-1, min(1, v))
        return String(Double(Int((c * 100).rounded())) / 100)
    }
}

