// score-bench: how fast the reference scoring scores a whole log, for BENCHMARKS.md.
//
//   score-bench DATA RULES.yaml [DAYS]
//
// Reads every event of DATA's log into one history per account (the `AccountHistory` fold),
// then scores each account on every UTC day from its first event to its last (or only the last
// DAYS days of each, to time a sample) with the signal functions as they are: the figures a
// replay engine has to beat.
import EventLog
import Foundation
import Scoring
import ThroughlineCore

func seconds(since start: UInt64) -> Double { Double(monotonicNanos() - start) / 1e9 }

let args = CommandLine.arguments
guard args.count >= 3 else {
    FileHandle.standardError.write("usage: score-bench DATA RULES.yaml [DAYS]\n".data(using: .utf8)!)
    exit(2)
}
do {
    let rules = try Rules.load(yaml: try String(contentsOfFile: args[2], encoding: .utf8), file: args[2])
    let sample = args.count > 3 ? Int(args[3]) : nil
    let snap = try LogInspector.snapshot(directory: args[1]).snapshot
    var start = monotonicNanos()
    var histories: [String: AccountHistory] = [:]
    var last: [String: Int64] = [:]
    var events = 0
    try snap.forEachView { v in
        let (e, payload) = try v.foldable()
        let account = e.event.account
        histories[account, default: AccountHistory(account: account)].add(e, payload)
        last[account] = max(last[account] ?? .min, e.event.time.microseconds)
        events += 1
        return true
    }
    let fold = seconds(since: start)
    print("fold: \(events) events into \(histories.count) histories in \(String(format: "%.2f", fold)) s = \(Int(Double(events) / fold)) events/s")
    start = monotonicNanos()
    var days = 0, red = 0
    for (account, h) in histories {
        guard let first = ScoreHistory.firstDay(h), let end = last[account] else { continue }
        let through = Day(containing: end).number
        let from = sample.map { max(first, through - $0 + 1) } ?? first
        let points = ScoreHistory.days(h, rules: rules, from: from, to: through)
        days += points.count
        red += points.filter { $0.band == .red }.count
    }
    let score = seconds(since: start)
    print("score: \(days) account-days in \(String(format: "%.2f", score)) s = \(Int(Double(days) / score)) account-days/s "
          + "(\(String(format: "%.1f", score / Double(max(days, 1)) * 1e6)) µs each, \(rules.signals.count) signals); \(red) red")
} catch {
    FileHandle.standardError.write("score-bench: \(error)\n".data(using: .utf8)!)
    exit(1)
}
