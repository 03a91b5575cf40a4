import DatasetGenerator
import Foundation
@testable import Scoring
import Testing
import ThroughlineCore

@Suite("Fitting rules to a store's outcomes")
struct RulesFitTests {
    /// Samples of three signals where only the first says anything about churn: the lower its
    /// value, the likelier a churn; the second is noise; the third is missing half the time.
    static func synthetic(_ n: Int, seed: UInt64) -> [RulesFit.Sample] {
        var rng = SplitMix(seed: seed)
        return (0..<n).map { i in
            let strong = Double.random(in: 0...1, using: &rng), noise = Double.random(in: 0...1, using: &rng)
            let churns = Double.random(in: 0...1, using: &rng) < 1 / (1 + exp(-(2 - 8 * strong)))
            return RulesFit.Sample(day: i, values: [strong, noise, i % 2 == 0 ? nil : noise], churns: churns, toChurn: churns ? 60 : nil)
        }
    }

    @Test("The regression recovers a known dependence: the signal that predicts churn gets the weight, noise gets next to none")
    func recoversWeights() throws {
        let model = try #require(RulesFit.fit(Self.synthetic(20_000, seed: 5), signals: 3, options: .init()))
        #expect(model.coefficients[0] < -6 && model.coefficients[0] > -10, "\(model.coefficients)")
        #expect(abs(model.coefficients[1]) < 0.5 && abs(model.coefficients[2]) < 0.5, "\(model.coefficients)")
        let weights = RulesFit.weights(model)
        #expect(weights[0] > 90 && weights[1] + weights[2] < 10, "\(weights)")
        // Without a churn (or with nothing else) there is nothing to fit.
        #expect(RulesFit.fit(Self.synthetic(100, seed: 1).map { var s = $0; s.churns = false; return s }, signals: 3, options: .init()) == nil)
    }

    /// Accounts sampled weekly for 20 weeks, churning (a third of them) on day 140: half the
    /// churners fade in the weighed signal 0 from 100 days before, the other half only in
    /// signal 2 (weight 0) whose value no renewing account goes below 0.3.
    static func accounts(seed: UInt64) -> [[RulesFit.Sample]] {
        var rng = SplitMix(seed: seed)
        return (0..<300).map { a in
            let kind = a % 6  // 0: fades in signal 0, 1: in signal 2, otherwise renews
            return stride(from: 0, to: 140, by: 7).map { day in
                let toChurn = kind < 2 ? 140 - day : nil
                let fading = (toChurn ?? .max) <= 100
                let v0 = kind == 0 && fading ? 0.1 : Double.random(in: 0.5...1, using: &rng)
                let v2 = kind == 1 && fading ? 0.1 : Double.random(in: 0.3...1, using: &rng)
                return RulesFit.Sample(day: day, values: [v0, Double.random(in: 0...1, using: &rng), v2],
                                       churns: (toChurn ?? .max) <= 120, toChurn: toChurn)
            }
        }
    }

    @Test("The red band and the caps are chosen on the accounts: a cap catches the churners the weighed score misses, without a false alarm")
    func choosesCaps() throws {
        let accounts = Self.accounts(seed: 3)
        let alarms = RulesFit.alarms(accounts, weights: [100, 0, 0], options: .init())
        // The score alone (signal 0) warns half the churners; the cap on signal 2 the other half.
        #expect(alarms.caps.contains { $0.signal == 2 && $0.below > 0.1 && $0.below <= 0.3 }, "\(alarms.caps)")
        #expect(alarms.figures.churned == 100 && alarms.figures.warned == 100 && alarms.figures.falseAlarms == 0, "\(alarms.figures)")
        #expect(alarms.red > 10 && alarms.red <= 50, "\(alarms.red)")
        #expect(alarms.bands.map(\.band) == [.red, .yellow, .green] && alarms.yellow >= alarms.red + 5 && alarms.bands[1].max == alarms.yellow)
        // Without the cap the precision target leaves half the churners unwarned.
        let noCap = RulesFit.Minima.figures(accounts.map { a in RulesFit.Minima(a, a.map { 100 * $0.values[0]! }) { _ in false } }, red: alarms.red)
        #expect(noCap.warned == 50 && noCap.falseAlarms == 0)
    }

    @Test("Only outcomes known before the cut are sampled: nothing after it leaks into the fit")
    func timeSplit() throws {
        var b = Build()
        for d in 0..<300 { try b.usage(day: d, users: d < 200 ? 20 : 5) }
        try b.add("account.churned", day: 260, #"{}"#)
        let probe = RulesFit.probe(DefaultRules.load())
        var options = RulesFit.Options()
        options.horizon = 90
        for cutOffset in [100, 200, 250, 261, 400] {
            let cut = Build.epoch + cutOffset
            let samples = RulesFit.samples(b.history, probe: probe, cut: cut, options: options)
            let churn = Build.epoch + 260
            for s in samples {
                #expect(s.churns == (churn - s.day <= 90))
                // Known before the cut: a churn before it, or the horizon and the 120-day warning window before it.
                #expect(s.toChurn != nil ? churn < cut : s.day + 120 < cut, "cut +\(cutOffset), day +\(s.day - Build.epoch)")
                #expect(s.toChurn == (churn < cut ? churn - s.day : nil))
            }
            #expect(samples.contains(where: \.churns) == (cutOffset > 260))
            #expect(samples.allSatisfy { $0.values.count == SignalKind.allCases.count })
        }
    }

    @Test("An override the outcome confirms is sampled once more as a human label, weighed twice; one it contradicts is not")
    func overridesAsLabels() throws {
        var b = Build()
        for d in 0..<300 { try b.usage(day: d, users: 20) }
        try b.add("health.override", day: 50, #"{"author":"maria","band":"red","reason":"r"}"#)     // churn 210 days later: contradicted
        try b.add("health.override", day: 101, #"{"author":"maria","band":"green","reason":"g"}"#)  // 159 days before: confirmed
        try b.add("health.override", day: 200, #"{"author":"maria","band":"red","reason":"r"}"#)    // 60 days before: confirmed
        try b.add("account.churned", day: 260, #"{}"#)
        let samples = RulesFit.samples(b.history, probe: RulesFit.probe(DefaultRules.load()), cut: Build.epoch + 400, options: .init())
        let labelled = samples.filter(\.confirmedOverride)
        #expect(labelled.map { $0.day - Build.epoch } == [101, 200] && labelled.map(\.churns) == [false, true])
        // The weekly samples go on as before, in day order.
        #expect(samples.filter { !$0.confirmedOverride }.map { $0.day - Build.epoch } == Array(stride(from: 0, to: 260, by: 7)))
        #expect(zip(samples, samples.dropFirst()).allSatisfy { $0.day <= $1.day })
    }

    @Test("The CSMs' overrides are held against what happened: confirmed, contradicted, or too recent to tell")
    func overrideLabels() throws {
        func override(_ b: inout Build, day: Int, _ band: String) throws {
            try b.add("health.override", day: day, #"{"author":"maria","band":"\#(band)","reason":"r"}"#)
        }
        var churned = Build()
        try churned.add("note.added", day: 0, #"{"author":"maria","text":"hi"}"#)
        try override(&churned, day: 10, "red")     // the churn on day 60 confirms it
        try override(&churned, day: 20, "green")   // the churn on day 60 contradicts it
        try override(&churned, day: 30, "yellow")  // not counted
        try churned.add("account.churned", day: 60, #"{}"#)
        var kept = Build()
        try kept.add("note.added", day: 0, #"{"author":"maria","text":"hi"}"#)
        try override(&kept, day: 10, "red")        // no churn in the 90 days the log covers
        try override(&kept, day: 20, "green")      // confirmed the same way
        try override(&kept, day: 150, "green")     // the log (to day 200) does not cover its 90 days
        var labels = RulesFit.OverrideLabels()
        for b in [churned, kept] { labels.add(b.history, lastDay: Build.epoch + 200, horizon: 90) }
        #expect(labels.redConfirmed == 1 && labels.redContradicted == 1)
        #expect(labels.greenConfirmed == 1 && labels.greenContradicted == 1 && labels.pending == 1)
        #expect((labels + labels).pending == 2)
    }

    @Test("A fitted rules file reads back as the same rules, provenance and all")
    func roundTrip() throws {
        let model = try #require(RulesFit.fit(Self.synthetic(2_000, seed: 9) .map { s in
            var s = s
            s.values += Array(repeating: 0.5, count: SignalKind.allCases.count - 3)
            return s
        }, signals: SignalKind.allCases.count, options: .init()))
        let probe = RulesFit.probe(DefaultRules.load())
        let rules = Rules(version: "fitted-test", description: "Fitted.\nOn two lines: with a colon.",
                          signals: zip(probe.signals, RulesFit.weights(model)).map { Rules.Signal(kind: $0.kind, weight: $1, group: $0.group, parameters: $0.parameters) },
                          bands: RulesFit.Alarms(red: 35, caps: [], figures: .init(), yellow: 60).bands,
                          caps: [Rules.Cap(signal: .usageLevel, below: 0.25, band: .red)], hysteresis: Rules.Hysteresis(days: 3, margin: nil))
        let text = rules.yaml(comment: ["fitted on a test", "figures: none"])
        #expect(text.hasPrefix("# fitted on a test\n# figures: none\nversion: fitted-test\n"))
        #expect(try Rules.load(yaml: text, file: "fitted.yaml") == rules)
        #expect(try Rules.load(yaml: DefaultRules.load().yaml(), file: "v1.yaml") == DefaultRules.load())
    }
}
