import Scoring
import Testing
import TestSupport
import ThroughlineCore

/// Scores never read what people wrote or said: consent may withhold it and erasure may destroy
/// it, and neither may move a score.
@Suite("Scores and personal text")
struct PersonalTextTests {
    /// The data members that carry free text: call summaries and transcripts, ticket subjects and
    /// comments, survey comments, note text.
    static let textFields: Set<String> = ["summary", "transcript", "subject", "comment", "text"]

    /// The event with every free text replaced by other text of another length.
    static func rewritten(_ e: Event) -> Event {
        var out = e
        out.data = e.data?.map { m in Self.textFields.contains(m.key) ? JSONMember(m.key, .string("withheld \(m.key) zzz")) : m }
        return out
    }

    @Test("Every account's score on every day is the same with every summary, subject, comment and note rewritten")
    func scoresIgnoreText() throws {
        var original: [String: AccountHistory] = [:], rewritten: [String: AccountHistory] = [:]
        var texts = 0
        for (i, line) in generatedLines(accounts: 30, days: 240, seed: 11, peopleShare: 0.5).enumerated() {
            let event = try EventDecoder.decode(line)
            let other = Self.rewritten(event)
            if other != event { texts += 1 }
            original[event.account, default: AccountHistory(account: event.account)]
                .add(StoredEvent(seq: UInt64(i + 1), recordedMicros: 0, event: event), try event.payload())
            rewritten[event.account, default: AccountHistory(account: event.account)]
                .add(StoredEvent(seq: UInt64(i + 1), recordedMicros: 0, event: other), try other.payload())
        }
        #expect(texts > 1000)
        let rules = DefaultRules.load()
        var compared = 0
        for (account, h) in original {
            guard let first = ScoreHistory.firstDay(h) else { continue }
            let last = first + 240
            let a = ScoreHistory.days(h, rules: rules, from: first, to: last), b = ScoreHistory.days(rewritten[account]!, rules: rules, from: first, to: last)
            #expect(a.map(\.score) == b.map(\.score), "\(account)")
            let end = Day(last).end
            func explained(_ h: AccountHistory) -> [String] { Score(h, rules: rules, at: end).contributions.map { "\($0.points) \($0.reason) \($0.seqs)" } }
            #expect(explained(h) == explained(rewritten[account]!), "\(account)")
            compared += a.count
        }
        #expect(compared > 30 * 200)
    }
}
