import EventLog
import GRDB
import ThroughlineCore

/// Filters and order of a portfolio read.
public struct PortfolioFilter: Sendable {
    public enum Sort: String, Sendable, CaseIterable {
        case renewal, arr, lastContact = "last_contact", account, score, name, csm, plan, band
    }

    /// Which accounts by their latest outcome: those that have not churned (the default), the
    /// churned ones, or all.
    public enum Status: String, Sendable, CaseIterable { case active, churned, all }

    public var status = Status.active
    public var csm: String?
    public var plan: String?
    /// Only accounts whose current score under the active rules is in one of these bands.
    public var bands: [Band]?
    /// Only accounts whose renewal date is within this many days of `asOf` (and not past).
    public var renewalWithinDays: Int?
    /// Only accounts whose context view raises this flag (computed per candidate, at most
    /// `ProjectionStore.maxFlagScan` of them per read: the slow path).
    public var flag: String?
    /// Every account's flags in the answer (each needs its context view), filtered or not.
    public var withFlags = false
    public var sort = Sort.renewal
    public var descending = false
    public var limit = 50
    /// Accounts to skip (the `next_offset` of the previous page).
    public var offset = 0
    /// The time renewal windows and flags are measured from.
    public var asOf: Int64 = 0

    public init() {}
}

extension ProjectionStore {
    /// The CSMs the accounts' profiles name, sorted.
    public func csms() throws -> [String] {
        try read { db in try String.fetchAll(db, sql: "SELECT DISTINCT csm FROM accounts WHERE csm IS NOT NULL ORDER BY csm") }
    }

    /// Most accounts a flag-filtered read examines (each needs its context view); the answer's
    /// `next_offset` continues the scan.
    public static let maxFlagScan = 500

    /// A page of accounts with their profile figures, last human contact, and (with a flag
    /// filter) the flags they raise.
    public func portfolio(_ filter: PortfolioFilter) throws -> PortfolioView {
        var sql = "SELECT account, name, plan, csm, arr, renewal_date, last_contact_us, events, score, band, outcome, outcome_us FROM accounts WHERE NOT \(Self.isReference)"
        var args: StatementArguments = []
        switch filter.status {
        case .active: sql += " AND outcome IS NOT 'churned'"
        case .churned: sql += " AND outcome = 'churned'"
        case .all: break
        }
        if let bands = filter.bands, !bands.isEmpty {
            sql += " AND band IN (" + bands.map { _ in "?" }.joined(separator: ",") + ")"
            args += StatementArguments(bands.map(\.rawValue))
        }
        if let csm = filter.csm {
            sql += " AND csm = ?"
            args += [csm]
        }
        if let plan = filter.plan {
            sql += " AND plan = ?"
            args += [plan]
        }
        let today = Day(containing: filter.asOf).number
        if let days = filter.renewalWithinDays {
            sql += " AND renewal_date >= ? AND renewal_date <= ?"
            args += [CalendarDate(daysSinceEpoch: today).description, CalendarDate(daysSinceEpoch: today + days).description]
        }
        let direction = filter.descending ? "DESC" : "ASC"
        let column = switch filter.sort {
        case .renewal: "renewal_date"
        case .arr: "arr"
        case .lastContact: "last_contact_us"
        case .account: "account"
        case .score: "score"
        case .name: "name"
        case .csm: "csm"
        case .plan: "plan"
        // Worst first when ascending.
        case .band: "(CASE band WHEN 'red' THEN 0 WHEN 'yellow' THEN 1 WHEN 'green' THEN 2 END)"
        }
        // Accounts without the value sort last either way; the account id breaks ties.
        sql += " ORDER BY \(column) IS NULL, \(column) \(direction), account"
        // Without a flag filter SQLite pages (only the page's rows reach Swift); with one, the
        // candidates are scanned in order until the page is full.
        let paged = filter.flag == nil
        if paged {
            sql += " LIMIT ? OFFSET ?"
            args += [filter.limit + 1, filter.offset]
        }
        let rows = try read { db in try Row.fetchAll(db, sql: sql, arguments: args) }
        var accounts: [PortfolioView.Row] = []
        var index = paged ? 0 : filter.offset
        let scanEnd = paged ? rows.count : min(rows.count, filter.offset + Self.maxFlagScan)
        while index < scanEnd && accounts.count < filter.limit {
            let r = rows[index]
            index += 1
            let account: String = r["account"]
            // A churned account is marked so and raises no attention flags.
            let churned = (r["outcome"] as String?) == "churned" ? (r["outcome_us"] as Int64?) : nil
            var flags: [AccountContext.Flag] = []
            if churned != nil && filter.flag != nil { continue }
            if churned == nil && (filter.flag != nil || filter.withFlags) {
                guard let view = try context(account, asOf: filter.asOf) else { continue }
                flags = view.flags
                if let wanted = filter.flag, !flags.contains(where: { $0.flag == wanted }) { continue }
            }
            var row = PortfolioView.Row(account: account, events: Int(r["events"] as Int64))
            (row.name, row.plan, row.csm, row.renewalDate) = (r["name"], r["plan"], r["csm"], r["renewal_date"])
            row.arr = r["arr"]
            row.daysToRenewal = row.renewalDate.flatMap { CalendarDate(iso: $0) }.map { $0.daysSinceEpoch - today }
            row.lastHumanContact = (r["last_contact_us"] as Int64?).map { Timestamp.utc(microseconds: $0).description }
            row.score = r["score"]
            row.band = (r["band"] as String?).flatMap(Band.init(rawValue:))
            row.churned = churned.map { Day(containing: $0).description }
            if filter.flag != nil || filter.withFlags { row.flags = flags }
            accounts.append(row)
        }
        if paged { index += filter.offset }
        let more = paged ? rows.count > filter.limit : index < rows.count
        return PortfolioView(accounts: accounts, nextOffset: more ? index : nil)
    }
}
