import Foundation
@testable import Scoring
import Testing
import ThroughlineCore

/// Caps (one signal below a value holds the band on its own) and hysteresis (bands that do not
/// flap), as rules files write them and as scores, bands and explanations follow them.
@Suite("Rule forms: caps and hysteresis")
struct RuleFormsTests {
    static let head = """
        version: forms
        bands:
          - {band: red, min: 0, max: 40}
          - {band: yellow, min: 40, max: 70}
          - {band: green, min: 70, max: 100}
        signals:
          - {signal: usage_trend, group: adoption, weight: 10}
          - {signal: nps, group: relationship, weight: 90}
          - {signal: usage_slope, group: adoption, weight: 0}

        """

    static func rules(_ tail: String) throws -> Rules { try Rules.load(yaml: head + tail, file: "forms.yaml") }

    @Test("Caps and hysteresis load, write back and load again to the same rules")
    func roundTrip() throws {
        let r = try Self.rules("caps:\n  - {signal: usage_slope, below: 0.3, band: red}\n  - {signal: usage_trend, below: 0.5, band: yellow}\n"
                               + "hysteresis: {days: 3, margin: 5}\n")
        #expect(r.caps == [Rules.Cap(signal: .usageSlope, below: 0.3, band: .red), Rules.Cap(signal: .usageTrend, below: 0.5, band: .yellow)])
        #expect(r.hysteresis == Rules.Hysteresis(days: 3, margin: 5))
        #expect(try Rules.load(yaml: r.yaml(), file: "again.yaml") == r)
        #expect(r.ceiling(of: .red) == 39.9 && r.ceiling(of: .yellow) == 69.9)
    }

    @Test("A cap on a signal the file does not list, a threshold out of 0–1, the highest band, bad hysteresis: each refused with its place")
    func problems() {
        #expect(RulesTests.problems(Self.head + "caps:\n  - {signal: nps, below: 0.3, band: red}\n").isEmpty)
        #expect(RulesTests.problems(Self.head + "caps:\n  - {signal: milestones, below: 0.3, band: red}\n")
            == ["11:14: caps[0].signal: milestones is not among the file's signals: list it there (a weight of 0 reads it for the cap alone)"])
        #expect(RulesTests.problems(Self.head + "caps:\n  - {signal: nps, below: 1.5, band: red}\n")
            == ["11:26: caps[0].below: must be a signal value above 0 and at most 1, not 1.5"])
        #expect(RulesTests.problems(Self.head + "caps:\n  - {signal: nps, below: 0.5, band: green}\n")
            == ["11:37: caps[0].band: green is the highest band: a cap there holds nothing"])
        #expect(RulesTests.problems(Self.head + "caps:\n  - {signal: nps, below: 0.5}\n") == ["11:5: caps[0]: band is missing"])
        #expect(RulesTests.problems(Self.head + "hysteresis: {days: 0}\n")
            == ["10:20: hysteresis.days: must be a whole number of days from 1 to 90, not 0"])
        #expect(RulesTests.problems(Self.head + "hysteresis: {days: 2, margin: -1}\n") == ["10:31: hysteresis.margin: must be ≥ 0 points, not -1"])
        #expect(RulesTests.problems(Self.head + "hysteresis: {weeks: 2}\n")
            == ["10:13: hysteresis: days is missing", "10:14: hysteresis: unknown key weeks (expected days, margin)"])
    }

    @Test("Hysteresis: a band follows the score after the days in a row outside it, or at once beyond the margin; a day back inside starts the count again")
    func hysteresis() throws {
        let r = try Self.rules("hysteresis: {days: 3, margin: 10}\n")
        //                               green, dips to yellow for 2 days, back, yellow 3 days, then deep red at once
        let scores: [Double?] = [80, 65, 66, 75, 65, 64, 63, 62, 25, nil, 45]
        #expect(r.bands(of: scores) == [.green, .green, .green, .green, .green, .green, .yellow, .yellow, .red, nil, .red])
        // Without hysteresis each day's band is its score's.
        let plain = try Self.rules("")
        #expect(plain.bands(of: scores) == scores.map { $0.map(plain.band(of:)) })
        // The day's band in a series is the one in force then.
        let series = ScoreSeries(firstDay: 100, scores: scores)
        #expect(series.band(on: 105, r) == .green && series.band(on: 106, r) == .yellow && series.band(on: 111, r) == nil)
    }

    @Test("A cap holds the score at the top of its band while its signal is below the threshold, names itself as the reason with the signal's seqs, and the day-by-day sweep agrees")
    func capHoldsScore() throws {
        var b = Build()
        // Eight weeks of usage falling a user a day each week (24 → 17: usage_slope 0.15), a promoter's NPS.
        for w in 0..<8 { for d in 0..<7 { try b.usage(day: w * 7 + d, users: 24 - w) } }
        let nps = try b.add("survey.answered", day: 1, #"{"kind":"nps","score":10}"#)
        let r = try Self.rules("caps:\n  - {signal: usage_slope, below: 0.3, band: red}\n")
        let s = Score(b.history, rules: r, at: Build.time(55))
        let held = try #require(s.held)
        // NPS 90 of 100 points, usage_trend a share of 10: well into green without the cap.
        #expect(held.uncapped > 90 && s.score == 39.9 && s.band == .red)
        #expect(held.cap.signal == .usageSlope && held.value < 0.3 && held.seqs.count == 55)
        #expect(held.sentence.contains("usage_slope at") && held.sentence.contains("held in red"))
        // The weighed signals still explain their points; the weight-0 signal the cap reads is not a contribution.
        #expect(Set(s.contributions.map(\.signal)) == [.usageTrend, .nps] && s.contributions.contains { $0.seqs == [nps] })
        #expect(Score.value(b.history, rules: r, at: Build.time(55)) == 39.9)
        let swept = ScoreHistory.days(b.history, rules: r, from: Build.epoch, to: Build.epoch + 55)
        #expect(swept.last?.score == 39.9 && swept.last?.band == .red)
        // A threshold the value is not below holds nothing.
        let loose = try Self.rules("caps:\n  - {signal: usage_slope, below: 0.1, band: red}\n")
        let free = Score(b.history, rules: loose, at: Build.time(55))
        #expect(free.held == nil && free.score == held.uncapped)
        // As the API shows it.
        let json = try JSONValueEncoder.encode(s.explanation)
        #expect(json["capped"]?["band"] == .string("red") && json["capped"]?["signal"] == .string("usage_slope"), "\(json)")
        #expect(try JSONValueDecoder.decode(ScoreExplanation.self, from: json) == s.explanation)
    }
}
