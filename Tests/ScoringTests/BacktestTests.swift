import Scoring
import Testing
import ThroughlineCore

@Suite("Backtest")
struct BacktestTests {
    static let d0 = CalendarDate(iso: "2026-01-05")!.daysSinceEpoch  // a Monday

    /// A series from d0 with `score` for each day up to `last` (days after d0).
    static func series(through last: Int, _ score: (Int) -> Double) -> ScoreSeries {
        ScoreSeries(firstDay: d0, scores: (0...last).map(score))
    }

    @Test("Lead times, precision, recall and F1 of 'red within N days before churn' equal a count by hand")
    func byHand() throws {
        let accounts = [
            // Churned on day 150: yellow from day 100, red from 120: caught at every horizon.
            ReplayedAccount(account: "a", series: Self.series(through: 150) { $0 >= 120 ? 30 : $0 >= 100 ? 50 : 80 }, churnDay: Self.d0 + 150),
            // Churned on day 180: red only on days 60–65, long before: missed at every horizon.
            ReplayedAccount(account: "b", series: Self.series(through: 180) { (60...65).contains($0) ? 20 : 90 }, churnDay: Self.d0 + 180),
            // Did not churn; red only on day 185, too late to know whether a churn followed: no alert counted.
            ReplayedAccount(account: "c", series: Self.series(through: 199) { $0 == 185 ? 10 : 75 }, churnDay: nil),
            // Did not churn; red on day 100: a false alarm at every horizon.
            ReplayedAccount(account: "d", series: Self.series(through: 199) { $0 == 100 ? 10 : 75 }, churnDay: nil),
        ]
        let report = try JSONValueEncoder.encode(Backtest.report(try RulesTests.healthV1(), accounts, lastDay: Self.d0 + 199))
        #expect(report["accounts"] == .number("4") && report["churned"] == .number("2"))
        guard case .array(let leads)? = report["lead_times"], case .array(let horizons)? = report["horizons"] else { throw Failure() }
        #expect(leads.map { $0["red_lead_days"] } == [.number("30"), .number("120")])
        #expect(leads.map { $0["yellow_lead_days"] } == [.number("50"), .number("120")])
        #expect(leads[0]["first_red"] == .string(CalendarDate(daysSinceEpoch: Self.d0 + 120).description))
        for h in horizons {
            #expect(h["true_positives"] == .number("1") && h["false_negatives"] == .number("1"))
            #expect(h["false_positives"] == .number("1") && h["true_negatives"] == .number("1"))
            #expect(h["precision"] == .number("0.5") && h["recall"] == .number("0.5") && h["f1"] == .number("0.5"))
        }
        // Week by week: the week of day 185 (Monday, day 182) has c red; the week of day 100 has d red.
        guard case .array(let weeks)? = report["weeks"] else { throw Failure() }
        #expect(weeks.count == 29)
        #expect(weeks[26]["red_during_week"] == .number("1") && weeks[26]["week"] == .string(CalendarDate(daysSinceEpoch: Self.d0 + 182).description))
        #expect(weeks[14]["red_during_week"] == .number("1"))  // days 98–104: d on day 100
        #expect(weeks[0]["green"] == .number("4"))
    }

    @Test("ROC AUC at 90 days and the agreement with overrides equal a count by hand")
    func aucAndOverrides() throws {
        let accounts = [
            // Churned on day 100, scored 20 throughout: days 10–99 are positives, days 0–9 negatives.
            ReplayedAccount(account: "x", series: Self.series(through: 100) { _ in 20 }, churnDay: Self.d0 + 100,
                            overrides: [(Self.d0 + 50, .red)]),
            // Did not churn, scored 80: days 0–109 are negatives (the log covers their next 90 days).
            ReplayedAccount(account: "y", series: Self.series(through: 199) { _ in 80 }, churnDay: nil,
                            overrides: [(Self.d0 + 60, .red)]),
        ]
        let report = try JSONValueEncoder.encode(Backtest.report(try RulesTests.healthV1(), accounts, lastDay: Self.d0 + 199))
        // Each of the 90 positives ranks above 110 negatives and ties with 10: (110 + 5) / 120.
        #expect(report["roc_auc_90d"] == .number("0.9583"))
        let o = try #require(report["overrides"])
        #expect(o["overrides"] == .number("2") && o["agreement"] == .number("0.5"))
        #expect(o["override_band_by_computed_band"]?["red"]?["red"] == .number("1"))
        #expect(o["override_band_by_computed_band"]?["red"]?["green"] == .number("1"))
    }

    @Test("A red day on the edge of a span counts: the day before a churn, the first day of a horizon, a week's Sunday, the log's last day")
    func edges() throws {
        func redOn(_ days: Set<Int>) -> (Int) -> Double { { days.contains($0) ? 10 : 90 } }
        let accounts = [
            // Churned on day 100, red only the day before: caught at every horizon, lead 1 day.
            ReplayedAccount(account: "e", series: Self.series(through: 100, redOn([99])), churnDay: Self.d0 + 100),
            // Churned on day 150, red only on day 119, 31 days before: missed at 30 days, caught at 60 and 90.
            ReplayedAccount(account: "f", series: Self.series(through: 150, redOn([119])), churnDay: Self.d0 + 150),
            // No churn; red only on day 169, 30 days before the log's last day: an alarm at 30 days only.
            ReplayedAccount(account: "g", series: Self.series(through: 199, redOn([169])), churnDay: nil),
            // No churn; red on day 6 (the first week's Sunday) and day 199 (the log's last day).
            ReplayedAccount(account: "h", series: Self.series(through: 199, redOn([6, 199])), churnDay: nil),
        ]
        let report = try JSONValueEncoder.encode(Backtest.report(try RulesTests.healthV1(), accounts, lastDay: Self.d0 + 199))
        guard case .array(let leads)? = report["lead_times"], case .array(let horizons)? = report["horizons"],
              case .array(let weeks)? = report["weeks"] else { throw Failure() }
        #expect(leads.map { $0["red_lead_days"] } == [.number("1"), .number("31")])
        let counts = horizons.map { h in ["true_positives", "false_negatives", "false_positives", "true_negatives"].map { h[$0] } }
        #expect(counts == [[.number("1"), .number("1"), .number("2"), .number("0")],
                           [.number("2"), .number("0"), .number("1"), .number("1")],
                           [.number("2"), .number("0"), .number("1"), .number("1")]])
        let redWeeks = weeks.indices.filter { weeks[$0]["red_during_week"] != .number("0") }
        #expect(redWeeks == [0, 14, 17, 24, 28] && redWeeks.allSatisfy { weeks[$0]["red_during_week"] == .number("1") })
        // The band counted for a week is its last day's: h's Sunday, and h on the log's last day.
        #expect(weeks[0]["red"] == .number("1") && weeks[28]["red"] == .number("1") && weeks[14]["red"] == .number("0"))
    }

    @Test("Warned with 30, 60 or 90 days to act, the lead, account precision with pending outcomes, and alarms per CSM a week equal a count by hand")
    func warnings() throws {
        func redOn(_ days: ClosedRange<Int>...) -> (Int) -> Double { { d in days.contains { $0.contains(d) } ? 10 : 90 } }
        let accounts = [
            // Churned on day 150, red from day 120 (30 days before): warned with 30 days to act, lead 30.
            ReplayedAccount(account: "a", series: Self.series(through: 150, redOn(120...150)), churnDay: Self.d0 + 150, csm: "ann"),
            // Churned on day 180, red on days 60–65 (120 to 115 days before): warned at every lead, lead 120.
            ReplayedAccount(account: "b", series: Self.series(through: 180, redOn(60...65)), churnDay: Self.d0 + 180, csm: "ann"),
            // No churn; red on day 185, too recent for the log (to day 199) to say: pending.
            ReplayedAccount(account: "c", series: Self.series(through: 199, redOn(185...185)), churnDay: nil, csm: "bob"),
            // No churn; red on day 50, and the log covers the 120 days after: a false alarm.
            ReplayedAccount(account: "d", series: Self.series(through: 199, redOn(50...50)), churnDay: nil, csm: "bob"),
            // Churned on day 100, red only the day before: a true alarm (lead 1) without time to act.
            ReplayedAccount(account: "e", series: Self.series(through: 100, redOn(99...99)), churnDay: Self.d0 + 100),
            // Churned on day 190, red only on day 20 (170 days before): a false alarm, not a warning.
            ReplayedAccount(account: "f", series: Self.series(through: 190, redOn(20...20)), churnDay: Self.d0 + 190),
        ]
        let report = Backtest.report(try RulesTests.healthV1(), accounts, lastDay: Self.d0 + 199)
        let red = try #require(report.warnings.first { $0.alarm == "red" })
        #expect(red.churned == 4)
        #expect(red.warned.map(\.days) == [30, 60, 90] && red.warned.map(\.accounts) == [2, 1, 1] && red.warned[0].share == 0.5)
        #expect(red.medianLeadDays == 30)
        #expect(red.leadDays.map { [$0.fromDays, $0.toDays, $0.accounts] } == [[1, 29, 1], [30, 59, 1], [60, 89, 0], [90, 120, 1]])
        #expect(red.trueAlarms == 3 && red.falseAlarms == 2 && red.pending == 1 && red.precision == 0.6)
        // 29 weeks; ann's accounts red in 7 of them, bob's in 2, those without a CSM in 2.
        #expect(red.perCsmWeek == 0.1 && red.perCsmWeekMost == 0.2)
        // The scores are 10 or 90: yellow-or-red alarms on the same days.
        #expect(report.warnings.map(\.alarm) == ["red", "yellow_or_red"] && report.warnings[1].warned == red.warned)
    }

    struct Failure: Error {}
}
