import Foundation
import Scoring
import Testing
import ThroughlineCore

/// A small random source of the tests' own (not the dataset generator's): counts and noise.
struct TestRandom {
    var state: UInt64
    mutating func next() -> Double {
        state = state &* 6364136223846793005 &+ 1442695040888963407
        return Double(state >> 11) / Double(1 << 53)
    }
    /// A Poisson count with mean `m` (Knuth's method; small means only).
    mutating func poisson(_ m: Double) -> Int {
        let l = exp(-m)
        var k = 0, p = 1.0
        repeat { k += 1; p *= next() } while p > l
        return k - 1
    }
    mutating func normal() -> Double { (-2 * log(next() + 1e-12)).squareRoot() * cos(2 * Double.pi * next()) }
}

@Suite("Patterns across accounts")
struct PatternTests {
    /// 90 accounts on three plans and two regions over 52 weeks, each with its own ticket rate
    /// (some far busier than others) and usage level with seasons; then: plan "team" gets a bug
    /// wave in week 30 after a release to it; every account's questions rise in week 40; one
    /// account alone files 40 tickets in week 20; a "pro" cohort loses a third of its users from week 45.
    static func data() -> CohortData {
        var r = TestRandom(state: 42)
        let weeks = 52, firstDay = 20_000 - (20_000 + 3) % 7  // a Monday
        var accounts: [CohortData.Account] = []
        for i in 0..<90 {
            accounts.append(.init(account: String(format: "a%02d", i), fields: ["plan": ["team", "pro", "basic"][i % 3], "region": i % 2 == 0 ? "emea" : "amer",
                                                                                  "name": "Account \(i)"], firstDay: firstDay - 70))
        }
        var bugs = [[Double?]](repeating: [Double?](repeating: 0, count: weeks), count: 90), questions = bugs
        var users = [[Double?]](repeating: [Double?](repeating: nil, count: weeks), count: 90)
        var seqs: [Int: [UInt64]] = [:]
        var seq: UInt64 = 1
        for a in 0..<90 {
            let rate = 0.2 + 2 * r.next() * r.next(), level = 20 + 200 * r.next()
            for w in 0..<weeks {
                var b = Double(r.poisson(rate)), q = Double(r.poisson(rate))
                if a % 3 == 0 && w == 30 && a % 2 == 1 { b += Double(2 + r.poisson(3)) }
                if w == 40 { q += Double(r.poisson(3 * rate + 1)) }
                if a == 7 && w == 20 { b += 40 }
                bugs[a][w] = b
                questions[a][w] = q
                for _ in 0..<Int(b) { seqs[a * weeks + w, default: []].append(seq); seq += 1 }
                let season = 1 + 0.15 * cos(2 * Double.pi * Double(w) / 52)
                users[a][w] = (level * season * (a % 3 == 1 && w >= 45 ? 0.65 : 1) * (1 + 0.05 * r.normal())).rounded()
            }
        }
        let release = CohortData.Release(seq: 99_999, day: firstDay + 7 * 30 - 2, version: "7.1", plans: ["team"])
        return CohortData(accounts: accounts, firstDay: firstDay, weeks: weeks,
                          metrics: [.init(name: "tickets:bug", kind: .count, values: bugs, seqs: seqs), .init(name: "tickets:question", kind: .count, values: questions),
                                    .init(name: "active_users", kind: .level, values: users)],
                          releases: [release])
    }

    @Test("a wave of tickets on one plan after a release is found as that plan's, with the release, its accounts and the tickets behind it; a rise everyone shares is all accounts'; one account alone is no pattern; a cohort's fall of usage is found; nothing else is")
    func cohortMoves() throws {
        let data = Self.data()
        let found = CohortPatterns.find(data)
        let wave = try #require(found.first { $0.metric == "tickets:bug" && $0.startDay == data.firstDay + 7 * 30 }, "\(found.map(\.summary))")
        #expect(wave.field == "plan" && wave.value == "team" && wave.direction == "up" && wave.release == "7.1" && wave.seqs.first == 99_999, "\(wave.summary)")
        #expect(wave.accounts.count >= 10 && wave.accounts.allSatisfy { Int($0.dropFirst())! % 3 == 0 }, "\(wave.accounts)")
        #expect(wave.seqs.count > 10)
        let everyone = try #require(found.first { $0.metric == "tickets:question" && $0.startDay == data.firstDay + 7 * 40 }, "\(found.map(\.summary))")
        #expect(everyone.field == nil && everyone.release == nil)
        #expect(!found.contains { $0.startDay == data.firstDay + 7 * 20 }, "\(found.map(\.summary))")
        let fall = try #require(found.first { $0.metric == "active_users" && $0.direction == "down" }, "\(found.map(\.summary))")
        #expect(fall.field == "plan" && fall.value == "pro" && fall.startDay == data.firstDay + 7 * 45)
        // Nothing else moved: no pattern beyond those three (the seasons, the noise and the busy accounts are no pattern).
        #expect(found.count == 3, "\(found.map(\.summary))")
        // The names of accounts are no cohort.
        #expect(!found.contains { $0.field == "name" })
        // Reporting the last weeks only finds the moves that started in them.
        #expect(CohortPatterns.find(data, fromWeek: 44).map(\.metric) == ["active_users"])
    }

    @Test("an account whose last weeks of scores fall the way churned accounts' fell before they churned resembles them; a steady one does not")
    func resemblance() throws {
        var r = TestRandom(state: 7)
        let horizon = 30_000
        var series: [ChurnResemblance.Series] = []
        func steady(_ name: String, from: Int, to: Int, level: Double) -> ChurnResemblance.Series {
            .init(account: name, firstDay: from, scores: (from...to).map { _ in level + 4 * r.normal() }, churnDay: nil)
        }
        func falling(_ name: String, end: Int, churn: Int?) -> ChurnResemblance.Series {
            let from = end - 300
            return .init(account: name, firstDay: from, scores: (from...end).map { d in
                let left = Double(end - d)
                return (left > 90 ? 78 : 78 - (90 - left) * 0.5) + 4 * r.normal()
            }, churnDay: churn)
        }
        // Twenty accounts churned at different times after such a fall; forty stayed steady at various levels.
        for i in 0..<20 {
            let churn = horizon - 20 - 9 * i
            series.append(falling("gone-\(i)", end: churn - 1, churn: churn))
        }
        for i in 0..<40 { series.append(steady("kept-\(i)", from: horizon - 400, to: horizon, level: 55 + Double(i % 8) * 5)) }
        series.append(falling("now-falling", end: horizon, churn: nil))
        series.append(steady("now-steady", from: horizon - 400, to: horizon, level: 78))
        let found = ChurnResemblance.find(series, horizon: horizon)
        let listed = try #require(found.first { $0.account == "now-falling" }, "\(found)")
        #expect(listed.share > 0.5 && listed.resembles.count >= 3 && listed.resembles.allSatisfy { $0.account.hasPrefix("gone-") })
        #expect(!found.contains { $0.account == "now-steady" })
        #expect(found.count <= 2, "\(found.map(\.account))")
    }
}

extension PatternTests {
    @Test("a store with fewer weeks than a baseline has no patterns, and none is an error")
    func shortHistory() {
        var data = Self.data()
        data.weeks = 5
        data.metrics = data.metrics.map { m in var m = m; m.values = m.values.map { Array($0.prefix(5)) }; return m }
        #expect(CohortPatterns.find(data).isEmpty && CohortPatterns.find(data, fromWeek: 3).isEmpty)
        #expect(ChurnResemblance.find([], horizon: 100).isEmpty)
    }
}
