import ArgumentParser
import EventLog
import Foundation
import Projections
import Scoring
import Synchronization
import ThroughlineCore

extension RulesCommand {
    struct Fit: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "fit",
            abstract: "Learn a rules file from the store's own churns and renewals, and validate it on the time after a cut.",
            discussion: """
            Reads the log directly, like replay (read-only; it may run beside a serving server). Samples every \
            account once a week, fits the signals' weights and the bands on the outcomes known before the cut \
            day, then replays the fitted and the base rules and prints the early-warning figures of both, on \
            the time before the cut (the fit) and after it (the validation). Writes the fitted rules, with \
            their provenance and figures, to --out.
            """
        )

        @OptionGroup var data: DataOptions
        @OptionGroup var log: LogOptions

        @Option(help: ArgumentHelp("The rules whose signals and parameters are fitted, and that the fit is compared with "
                                   + "(default: the store's active rules).", valueName: "FILE"))
        var base: String?

        @Option(help: "The cut (YYYY-MM-DD): fit on outcomes known before it, validate after it. Default: two thirds into the log's days.")
        var cut: String?

        @Option(help: "A churn within this many days after a day makes the day churning.")
        var horizon = RulesFit.Options().horizon

        @Option(help: "The account precision the red band and its caps keep on the fit's accounts (0–1).")
        var precision = RulesFit.Options().precision

        @Option(help: "Days a score stays in another band before the fitted band follows it (1: at once).")
        var hysteresisDays = 3

        @Option(help: ArgumentHelp("Only these signals may get a cap, comma-separated (default: any).", valueName: "SIGNALS"))
        var capSignals: String?

        @Option(help: "The fitted rules' version.")
        var version: String?

        @Option(help: ArgumentHelp("Where to write the fitted rules (YAML).", valueName: "FILE"))
        var out: String

        @Option(help: ArgumentHelp("Where to write the replay of the fitted and the base rules (default: DATA/replays/VERSION, "
                                   + "where `serve` shows it at /replays/VERSION).", valueName: "DIR"))
        var report: String?

        func run() throws {
            let (baseRules, baseText) = try checkedRules(exit: 2) { try loadRules(base, activeIn: data.directory) }
            let snapshot = try log.snapshot(data)
            AccessCommand.auditRead(data, "rules.fit")
            var replayOptions = Replay.Options()
            replayOptions.identity = ProjectionStore.identityMap(directory: data.directory)
            let given = try cut.map { text -> Int in
                guard let d = CalendarDate(iso: text) else { throw ValidationError("--cut must be a date YYYY-MM-DD, not \(text)") }
                return d.daysSinceEpoch
            }
            guard (0...1).contains(precision) else { throw ValidationError("--precision must be from 0 to 1, not \(precision)") }
            guard (1...90).contains(hysteresisDays) else { throw ValidationError("--hysteresis-days must be from 1 to 90, not \(hysteresisDays)") }
            var options = RulesFit.Options()
            options.horizon = horizon
            options.precision = precision
            if let capSignals {
                let names = capSignals.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
                if let unknown = names.first(where: { SignalKind(rawValue: $0) == nil }) {
                    throw ValidationError("--cap-signals: unknown signal \(unknown) (known: \(SignalKind.names.joined(separator: ", ")))")
                }
                options.capSignals = Set(names.compactMap { name in RulesFit.probe(baseRules).signals.firstIndex { $0.kind.rawValue == name } })
            }
            let probe = RulesFit.probe(baseRules)
            let spill = out + ".spill"
            defer { try? FileManager.default.removeItem(atPath: spill) }

            // Each account's first day and samples; the cut is known only once the log's span is.
            let days = options.horizon
            let span = try Replay.forEachAccount(snapshot, spill: spill, options: replayOptions) { h, horizon in
                ScoreHistory.firstDay(h).map { first in
                    var labels = RulesFit.OverrideLabels()
                    labels.add(h, lastDay: horizon, horizon: days)
                    return (first: first, labels: labels)
                }
            }
            guard let first = span.values.map(\.first).min() else {
                Terminal.err("throughline: the store holds no events to fit on")
                throw ExitCode(1)
            }
            let cutDay = given ?? first + (span.horizon - first) * 2 / 3
            let opts = options
            let sampled = try Replay.forEachAccount(snapshot, spill: spill, options: replayOptions) { h, _ in RulesFit.samples(h, probe: probe, cut: cutDay, options: opts) }
            let perAccount = sampled.values
            let samples = perAccount.flatMap { $0 }
            guard let model = RulesFit.fit(samples, signals: probe.signals.count, options: options) else {
                Terminal.err("throughline: no churn (or nothing but churns) is known before \(Day(cutDay)): nothing to fit on; pick another --cut")
                throw ExitCode(1)
            }
            let weights = RulesFit.weights(model)
            let alarms = RulesFit.alarms(perAccount, weights: weights, options: options)
            let name = version ?? "fitted-\(Day(span.horizon))"
            var fitted = Rules(version: name, description: nil,
                               signals: zip(probe.signals, weights).map { Rules.Signal(kind: $0.kind, weight: $1, group: $0.group, parameters: $0.parameters) },
                               bands: alarms.bands,
                               caps: alarms.caps.map { Rules.Cap(signal: probe.signals[$0.signal].kind, below: $0.below, band: .red) },
                               hysteresis: hysteresisDays > 1 ? Rules.Hysteresis(days: hysteresisDays, margin: nil) : nil)
            guard fitted.signals.contains(where: { $0.weight > 0 }) else {
                Terminal.err("throughline: no signal lowers the odds of a churn in this store; nothing to write")
                throw ExitCode(1)
            }

            // Both versions replayed; figures before the cut (the fit's own) and after it (validation).
            let replayed = try Replay.run(snapshot, rules: [fitted, baseRules], spill: spill, options: replayOptions)
            func figures(_ i: Int) -> (fit: BacktestReport, validation: BacktestReport) {
                let accounts = replayed.accounts[i]
                let before = accounts.compactMap { $0.restricted(through: cutDay - 1) }
                let after = accounts.compactMap { $0.restricted(from: cutDay - Backtest.warningWindow, churnsFrom: cutDay) }
                return (Backtest.report(replayed.rules[i], before, lastDay: cutDay - 1),
                        Backtest.report(replayed.rules[i], after, lastDay: replayed.lastDay))
            }
            let (fittedFigures, baseFigures) = (figures(0), figures(1))
            var lines = ["fitted by `throughline rules fit` on \(data.directory) (\(Terminal.grouped(replayed.events)) events, "
                         + "\(Day(first)) to \(Day(replayed.lastDay))), base \(baseRules.version), cut \(Day(cutDay)), horizon \(horizon) days",
                         "samples: \(model.samples) account-days (one a week) known before the cut, \(model.churning) of them churning",
                         span.values.map(\.labels).reduce(RulesFit.OverrideLabels(), +).summary,
                         "coefficients (log-odds of a churn per unit of value): "
                             + zip(probe.signals, model.coefficients).map { "\($0.kind.rawValue) \(NumberText.plain(($1 * 100).rounded() / 100))" }.joined(separator: ", ")]
            let f = alarms.figures
            lines.append("red below \(NumberText.plain(alarms.red))"
                         + (fitted.caps.isEmpty ? ", no caps" : ", caps: " + fitted.caps.map { "\($0.signal.rawValue) below \(NumberText.plain($0.below))" }.joined(separator: ", "))
                         + ", chosen on the fit's accounts' weekly samples (precision at least \(NumberText.plain(precision))): "
                         + "\(f.warned) of \(f.churned) churned warned 30 days ahead, \(f.trueAlarms) true and \(f.falseAlarms) false alarms")
            if cutDay - first < 330 {
                lines.append("caution: the fit saw \(cutDay - first) days, less than eleven months; a season after the cut (a summer lull, the year's end) "
                             + "may raise alarms it never saw: judge by the validation figures")
            }
            lines.append("fit, before the cut:")
            lines.append("  \(name): " + Self.summary(fittedFigures.fit))
            lines.append("  \(baseRules.version): " + Self.summary(baseFigures.fit))
            lines.append("validation, after the cut:")
            lines.append("  \(name): " + Self.summary(fittedFigures.validation))
            lines.append("  \(baseRules.version): " + Self.summary(baseFigures.validation))
            fitted.description = "Fitted on the store's own outcomes; see the comments above for the data and the figures."
            let text = fitted.yaml(comment: lines)
            _ = try Rules.load(yaml: text, file: out)
            try Data(text.utf8).write(to: URL(fileURLWithPath: out))
            // The replay of both versions, for the what-if page (the whole log, both versions' figures).
            let reportDirectory = report ?? data.directory + "/replays/" + name
            _ = try ReplayCommand.write(replayed, texts: [text, baseText], to: reportDirectory)
            for line in lines { Terminal.out(line) }
            Terminal.err("wrote \(out) and the replay of both versions to \(reportDirectory)")
        }

        /// One version's early-warning figures on one line.
        static func summary(_ r: BacktestReport) -> String {
            func number(_ v: Double?) -> String { v.map(NumberText.plain) ?? "n/a" }
            let parts = r.warnings.map { w in
                "\(w.alarm.replacingOccurrences(of: "_", with: " ")): warned " + w.warned.map { "\(number($0.share)) at \($0.days)d" }.joined(separator: ", ")
                    + ", precision \(number(w.precision)) (\(w.pending) pending), \(number(w.perCsmWeek)) per CSM a week"
            }
            return "\(r.churned) churned; " + parts.joined(separator: "; ")
        }
    }
}
