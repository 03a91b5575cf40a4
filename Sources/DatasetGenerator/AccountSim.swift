import Foundation
import ThroughlineCore

/// Where an account is heading; decides the pattern of its events.
enum Fate: Equatable {
    case renew, expand, churn
}

struct OpenTicket {
    var id: String
    var closeDay: Int
    var updated: Bool
}

/// A stretch in which a renewing account looks at risk and then recovers (a reorganisation, a
/// budget freeze, a key user on leave): risk rises to `depth` halfway through and falls back.
struct Dip {
    var start: Int
    var days: Int
    var depth: Double

    func risk(day: Int) -> Double {
        guard day >= start, day < start + days else { return 0 }
        let x = Double(day - start) / Double(days)
        return depth * (1 - abs(2 * x - 1))
    }
}

/// The simulated state of one account.
struct AccountSim {
    let id: String
    let name: String
    let plan: String
    let csm: String
    let fate: Fate
    let startDay: Int
    var outcomeDay: Int
    /// Whether a churning account shows it beforehand; one that does not leaves without warning
    /// (an acquisition, a budget cut from above).
    let warns: Bool
    /// Days before the outcome over which a churning account declines.
    let declineDays: Int
    /// How the decline builds: the risk is the share of the decline gone by, to this power
    /// (below 1: steep at first; above 1: late and sudden).
    let declineShape: Double
    /// A renewing account's temporary dip, if it has one.
    let dip: Dip?
    /// How much the account's usage follows the seasons (summer holidays, the year's end), 0–1.
    let seasonality: Double
    /// The account's usual mood in calls and tickets (-1..1): some accounts grumble and renew.
    let mood: Double
    var seats: Int
    var arr: Double
    let baseUtilisation: Double
    let baseBreadth: Int
    let ticketRate: Double
    let communityRate: Double
    var champion: String
    var championChanged = false
    var overridden = false
    var ended = false
    var openTickets: [OpenTicket] = []
    /// How other systems name it, and its duplicate.
    let identities: Identities
    /// The people the CRM knows at the customer.
    var contacts: Contacts

    init(index: Int, options: DatasetGenerator.Options, rng: inout SplitMix) {
        id = "acct-" + String(repeating: "0", count: max(0, 5 - String(index).count)) + String(index)
        name = rng.pick(DatasetGenerator.names) + " " + rng.pick(DatasetGenerator.suffixes)
        plan = rng.pick(DatasetGenerator.plans)
        csm = rng.pick(DatasetGenerator.csms)
        let roll = rng.unit()
        fate = roll < 0.2 ? .churn : roll < 0.4 ? .expand : .renew
        startDay = index % 3 == 0 ? 0 : rng.int(0...max(0, options.days / 3))
        outcomeDay = startDay + rng.int(max(60, options.days / 3)...max(61, options.days))
        warns = !rng.chance(options.silentChurnShare)
        declineDays = rng.int(options.declineDays)
        declineShape = 0.5 + 1.5 * rng.unit()
        let dipStart = startDay + rng.int(30...max(31, options.days))
        let dipped = fate != .churn && rng.chance(options.dipShare)
        dip = dipped ? Dip(start: dipStart, days: rng.int(21...70), depth: 0.3 + 0.4 * rng.unit()) : nil
        seasonality = options.seasonality * rng.unit()
        mood = 0.6 - options.sentimentNoise * rng.unit()
        seats = plan == "enterprise" ? rng.int(100...500) : plan == "growth" ? rng.int(20...100) : rng.int(5...20)
        arr = Double(seats * (plan == "enterprise" ? 600 : plan == "growth" ? 400 : 250))
        baseUtilisation = 0.5 + 0.4 * rng.unit()
        baseBreadth = rng.int(5...DatasetGenerator.features.count)
        ticketRate = Double(seats) / 400 + 0.05
        communityRate = 0.02 + 0.08 * rng.unit()
        champion = rng.pick(DatasetGenerator.people)
        identities = Identities(index: index, startDay: startDay, options: options)
        contacts = Contacts(index: index, champion: champion, options: options)
    }

    /// Whether the account is heading for a churn that shows in its events.
    var declines: Bool { fate == .churn && warns }

    /// 0 while healthy, rising to 1 on the day a churning account that warns leaves; the depth of
    /// a renewing account's dip while it lasts.
    func risk(day: Int) -> Double {
        guard declines else { return dip?.risk(day: day) ?? 0 }
        let left = outcomeDay - day
        guard left < declineDays else { return 0 }
        let gone = min(1, Double(declineDays - left) / Double(declineDays))
        return gone <= 0 ? 0 : pow(gone, declineShape)
    }

    /// The first day of the decline before a churn that warns.
    var declineStart: Int? { declines ? outcomeDay - declineDays : nil }

    func profile(date: CalendarDate) -> [JSONMember] {
        let renewal = CalendarDate(daysSinceEpoch: date.daysSinceEpoch + (outcomeDay - startDay))
        return [JSONMember("name", .string(name)), JSONMember("plan", .string(plan)),
                JSONMember("tier", .string(plan == "enterprise" ? "strategic" : "scale")),
                JSONMember("arr", .number(String(Int(arr)))), JSONMember("seats", .number(String(seats))),
                JSONMember("renewal_date", .string(renewal.description)), JSONMember("csm", .string(csm)),
                JSONMember("stage", .string("onboarding")), JSONMember("champion", .string(champion)),
                JSONMember("consent", .object([JSONMember("email", .bool(true)), JSONMember("calls", .bool(true)),
                                               JSONMember("product_analytics", .bool(true))]))]
    }
}

/// How much usage falls in the seasons, 0–1 at its deepest: the weeks around mid-August and
/// the last ten days of the year.
func seasonalLull(_ date: CalendarDate) -> Double {
    let yearStart = CalendarDate(year: date.year, month: 1, day: 1).daysSinceEpoch
    let dayOfYear = Double(date.daysSinceEpoch - yearStart)
    let summer = max(0, 1 - abs(dayOfYear - 225) / 25)
    let yearEnd = date.month == 12 && date.day >= 21 ? 1.0 : date.month == 1 && date.day <= 2 ? 0.7 : 0
    return max(summer, yearEnd)
}

extension String {
    var capitalizedFirst: String { prefix(1).uppercased() + dropFirst() }
}
