import Scoring
import ThroughlineCore

/// A replay report of two versions without figures, whose one band difference names an
/// account (and a version) with characters that HTML, CSV and URLs must escape.
public func hostileReplayReport(account: String, firstRules: String = "v<1>") -> ReplayReport {
    func empty(_ rules: String) -> BacktestReport {
        BacktestReport(rules: rules, accounts: 0, churned: 0, churnedRedBeforehand: 0, medianRedLeadDays: nil, redAccountsPerWeek: nil,
                       horizons: [], rocAuc90d: nil, overrides: .init(overrides: 0, agreement: nil, byComputedBand: [:]), leadTimes: [], weeks: [], warnings: [])
    }
    let difference = ReplayReport.Difference(account: account, date: CalendarDate(iso: "2026-01-01")!, rules: (firstRules, "v2"),
                                             bands: (.red, .green), signals: [])
    return ReplayReport(log: .init(lastSeq: 0, events: 0, lastDate: CalendarDate(iso: "2026-01-01")!),
                        versions: [empty(firstRules), empty("v2")],
                        bandDifferences: .init(rules: [firstRules, "v2"], accounts: 1, list: [difference]))
}
