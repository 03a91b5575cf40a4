import EventLog
import Foundation
import Scoring
import Testing
import TestSupport
import ThroughlineCore

/// The replay reads usage records straight from their bytes (`AccountHistory.addUsage`); the
/// history it builds must be the one the typed payload builds.
@Suite("Usage records read from their bytes")
struct FoldPathTests {
    /// Usage records in every form the bytes reader meets: no features, counts of 0, repeated
    /// feature names, no `events`, more than 64 features, and numbers written as `5.0` (which it
    /// leaves to the typed payload).
    static let oddLines: [String] = {
        let wide = (0..<70).map { #""w\#($0)":1"# }.joined(separator: ",")
        return [
            #"{"id":"u1","account":"odd","type":"usage.recorded","time":"2026-03-02T01:00:00Z","data":{"period_start":"2026-03-01","active_users":4}}"#,
            #"{"id":"u2","account":"odd","type":"usage.recorded","time":"2026-03-03T01:00:00Z","data":{"period_start":"2026-03-02","active_users":5,"events":7,"features":{"a":0,"b":2}}}"#,
            #"{"id":"u3","account":"odd","type":"usage.recorded","time":"2026-03-04T01:00:00Z","data":{"period_start":"2026-03-03","active_users":5.0,"features":{"c":1}}}"#,
            #"{"id":"u4","account":"odd","type":"usage.recorded","time":"2026-03-05T01:00:00Z","data":{"period_start":"2026-03-04","active_users":6,"features":{\#(wide)}}}"#,
            #"{"id":"u5","account":"odd","type":"usage.recorded","time":"2026-03-05T01:00:00Z","data":{"features":{"b":1,"d":3.0},"active_users":2,"period_start":"2026-03-04","period":"day"}}"#,
            #"{"id":"u6","account":"odd","type":"usage.recorded","time":"2026-03-06T01:00:00Z","data":{"period_start":"2026-03-05","active_users":9,"events":1.0e1}}"#,
        ]
    }()

    @Test("A generated log and odd usage records fold to the same histories and scores either way")
    func sameHistories() throws {
        let dir = TempDir()
        let store = try EventStore(directory: dir.path, holder: "test")
        let lines = generatedLines(accounts: 12, days: 200, seed: 3) + Self.oddLines
        _ = try store.appendAndWait(try lines.map { try EventDecoder.encode(Array($0.utf8)) })
        var fast: [String: AccountHistory] = [:], typed: [String: AccountHistory] = [:]
        var readFromBytes = 0
        try store.snapshot().forEachView { view in
            let account = view.account
            if fast[account, default: AccountHistory(account: account)].addUsage(view) {
                readFromBytes += 1
            } else {
                let (e, payload) = try view.foldable()
                fast[account]!.add(e, payload)
            }
            let (e, payload) = try view.foldable()
            typed[account, default: AccountHistory(account: account)].add(e, payload)
            return true
        }
        try store.close()
        let usageLines = lines.filter { $0.contains(#""type":"usage.recorded""#) }.count
        // Everything but the three records with numbers written as fractions is read from bytes.
        #expect(readFromBytes == usageLines - 3)
        #expect(fast.count == 13 && Set(fast.keys) == Set(typed.keys))
        let rules = DefaultRules.load()
        for (account, a) in fast {
            let b = try #require(typed[account])
            #expect(a.firstTime == b.firstTime && a.featureNames == b.featureNames, "\(account)")
            #expect(a.usage.items.map { [$0.time, Int64($0.seq), Int64($0.value.day), Int64($0.value.activeUsers), Int64($0.value.events)] }
                == b.usage.items.map { [$0.time, Int64($0.seq), Int64($0.value.day), Int64($0.value.activeUsers), Int64($0.value.events)] })
            #expect(a.usage.items.map { Set(a.featureNames(of: $0.value)) } == b.usage.items.map { Set(b.featureNames(of: $0.value)) })
            let through = ScoreHistory.firstDay(b)! + 240
            #expect(ScoreHistory.all(a, rules: rules, through: through) == ScoreHistory.all(b, rules: rules, through: through), "\(account)")
        }
        // The odd account's records as sent: u2 names b only (a's count is 0), u4 all 70 features.
        let odd = try #require(fast["odd"])
        #expect(odd.usage.items.map { odd.featureNames(of: $0.value).sorted() }[1] == ["b"])
        #expect(odd.usage.items.map { odd.featureNames(of: $0.value).count } == [0, 1, 1, 70, 2, 0])
        #expect(odd.usage(ScoreHistory.endOf(CalendarDate(iso: "2026-03-06")!.daysSinceEpoch), days: 0, to: .max).featureCount == 73)
    }
}
