import EventLog
import Foundation
import GRDB
import Scoring
import Synchronization
import ThroughlineCore

/// A replay's results kept for later: `DIR/whatif.sqlite` (each version's rules text, every
/// account's daily series and churn day, and the report), `DIR/report.json` and CSV tables.
/// Nothing in them depends on when or how fast the replay ran, so the same log and rules give
/// the same bytes.
public enum WhatIfStore {
    public static func write(_ result: Replay.Result, texts: [String], to dir: String) throws -> ReplayReport {
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let path = dir + "/whatif.sqlite"
        for suffix in ["", "-wal", "-shm", "-journal"] { try? FileManager.default.removeItem(atPath: path + suffix) }
        try FileSystem.ownerOnly(path)
        let queue = try DatabaseQueue(path: path)
        // The report is worked out on the other core while the scores are written.
        let worked = Mutex<ReplayReport?>(nil)
        let group = DispatchGroup()
        DispatchQueue.global().async(group: group) {
            let report = self.report(result)
            worked.withLock { $0 = report }
        }
        try queue.write { db in
            try db.execute(sql: """
                CREATE TABLE replay (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
                CREATE TABLE rules (version TEXT PRIMARY KEY, position INTEGER NOT NULL, text TEXT NOT NULL);
                CREATE TABLE scores (rules TEXT NOT NULL, account TEXT NOT NULL, first_day INTEGER NOT NULL, churn_day INTEGER,
                                     points BLOB NOT NULL, PRIMARY KEY (rules, account));
                CREATE TABLE report (json TEXT NOT NULL);
                """)
            for (key, value) in [("last_seq", Int64(result.lastSeq)), ("events", Int64(result.events)), ("last_day", Int64(result.lastDay))] {
                try db.execute(sql: "INSERT INTO replay VALUES (?, ?)", arguments: [key, value])
            }
            let insert = try db.makeStatement(sql: "INSERT INTO scores VALUES (?, ?, ?, ?, ?)")
            for (i, (rules, text)) in zip(result.rules, texts).enumerated() {
                try db.execute(sql: "INSERT INTO rules VALUES (?, ?, ?)", arguments: [rules.version, i, text])
                for a in result.accounts[i] {
                    try insert.execute(arguments: [rules.version, a.account, a.series.firstDay, a.churnDay, Data(a.series.bytes)])
                }
            }
            group.wait()
            try db.execute(sql: "INSERT INTO report VALUES (?)", arguments: [JSONWriter.string(try worked.withLock { $0 }!.json())])
        }
        let report = worked.withLock { $0 }!
        try queue.close()
        try Data(JSONWriter.string(try report.json()).utf8 + [UInt8(ascii: "\n")]).write(to: URL(fileURLWithPath: dir + "/report.json"))
        for (name, text) in csvTables(report) {
            try Data(text.utf8).write(to: URL(fileURLWithPath: dir + "/" + name))
        }
        return report
    }

    /// The report a replay kept in `DIR/whatif.sqlite`, opened read-only; an error names the
    /// file when it is missing or is not a what-if store.
    public static func storedReport(in dir: String) throws -> ReplayReport {
        let path = dir + "/whatif.sqlite"
        guard FileManager.default.fileExists(atPath: path) else { throw ReadModelError(.notFound, "no what-if store at \(path)") }
        var config = Configuration()
        config.readonly = true
        do {
            let queue = try DatabaseQueue(path: path, configuration: config)
            defer { try? queue.close() }
            guard let text = try queue.read({ db in try String.fetchOne(db, sql: "SELECT json FROM report") }) else {
                throw ReadModelError(.damaged, "\(path) holds no report")
            }
            return try JSONValueDecoder.decode(ReplayReport.self, from: text)
        } catch let e as ReadModelError {
            throw e
        } catch {
            throw ReadModelError(.damaged, "\(path) is not a readable what-if store: \(error)")
        }
    }

    /// The report's tables as CSV files: bands by week, lead times, horizons, the warnings and
    /// their leads, band differences.
    static func csvTables(_ report: ReplayReport) -> [(String, String)] {
        func table<Row>(_ columns: [String], _ rows: (BacktestReport) -> [Row], _ fields: (Row) -> [String?]) -> String {
            var out = (["rules"] + columns).joined(separator: ",") + "\n"
            for v in report.versions {
                for row in rows(v) { out += ([v.rules] + fields(row)).map(csvField).joined(separator: ",") + "\n" }
            }
            return out
        }
        func text(_ v: (some CustomStringConvertible)?) -> String? { v.map(\.description) }
        func number(_ v: Double?) -> String? { v.map(NumberText.plain) }
        var tables = [
            ("bands_by_week.csv", table(["week", "red", "yellow", "green", "red_during_week"], \.weeks) {
                [text($0.week), text($0.red), text($0.yellow), text($0.green), text($0.redDuringWeek)]
            }),
            ("lead_times.csv", table(["account", "churn_date", "first_red", "red_lead_days", "first_yellow_or_red", "yellow_lead_days"], \.leadTimes) {
                [$0.account, text($0.churnDate), text($0.firstRed), text($0.redLeadDays), text($0.firstYellowOrRed), text($0.yellowLeadDays)]
            }),
            ("horizons.csv", table(["days", "true_positives", "false_positives", "false_negatives", "true_negatives", "precision", "recall", "f1"], \.horizons) {
                [text($0.days), text($0.truePositives), text($0.falsePositives), text($0.falseNegatives), text($0.trueNegatives),
                 number($0.precision), number($0.recall), number($0.f1)]
            }),
        ]
        tables.append(("warnings.csv", table(["alarm", "churned"] + Backtest.warningLeads.flatMap { ["warned_\($0)d", "share_\($0)d"] }
                                             + ["median_lead_days", "true_alarms", "false_alarms", "pending", "precision", "per_csm_week", "per_csm_week_most"],
                                             \.warnings) { w in
            [w.alarm, text(w.churned)] + w.warned.flatMap { [text($0.accounts), number($0.share)] }
                + [text(w.medianLeadDays), text(w.trueAlarms), text(w.falseAlarms), text(w.pending), number(w.precision),
                   number(w.perCsmWeek), number(w.perCsmWeekMost)]
        }))
        tables.append(("warning_leads.csv", table(["alarm", "from_days", "to_days", "accounts"], { v in v.warnings.flatMap { w in w.leadDays.map { (w.alarm, $0) } } }) {
            [$0.0, text($0.1.fromDays), text($0.1.toDays), text($0.1.accounts)]
        }))
        if let d = report.bandDifferences, d.rules.count == 2 {
            let pair = d.rules.map(csvField)
            var out = "account,date,band \(pair[0]),band \(pair[1]),largest difference\n"
            for item in d.list {
                out += [item.account, text(item.date), item.bands.0?.rawValue, item.bands.1?.rawValue, item.signals.first?.signal]
                    .map(csvField).joined(separator: ",") + "\n"
            }
            tables.append(("band_differences.csv", out))
        }
        return tables
    }

    /// A value as one CSV field: quoted when it holds a comma, quote or line break.
    static func csvField(_ v: String?) -> String {
        let text = v ?? ""
        guard text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return text }
        return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    /// Each version's backtest, the versions on all cores at once.
    static func versionReports(_ result: Replay.Result) -> [BacktestReport] {
        let reports = Mutex([BacktestReport?](repeating: nil, count: result.rules.count))
        DispatchQueue.concurrentPerform(iterations: result.rules.count) { i in
            let report = Backtest.report(result.rules[i], result.accounts[i], lastDay: result.lastDay)
            reports.withLock { $0[i] = report }
        }
        return reports.withLock { $0 }.map { $0! }
    }

    /// Each version's backtest, and the accounts whose band on the last day differs between the
    /// first two versions.
    public static func report(_ result: Replay.Result) -> ReplayReport {
        var differences: ReplayReport.BandDifferences?
        if result.rules.count >= 2 {
            let names = (result.rules[0].version, result.rules[1].version)
            func points(_ v: Double) -> Double { (v * 10).rounded() / 10 }
            let list = result.differences.map { d in
                ReplayReport.Difference(account: d.account, date: Day(d.day).date, rules: names, bands: d.bands, signals: d.signals.map { s in
                    ReplayReport.Difference.Signal(signal: s.signal.rawValue, points: (points(s.points.0), points(s.points.1)),
                                                   reason: s.reasons.0.isEmpty ? s.reasons.1 : s.reasons.0)
                })
            }
            differences = ReplayReport.BandDifferences(rules: [names.0, names.1], accounts: list.count, list: list)
        }
        return ReplayReport(log: ReplayReport.Log(lastSeq: result.lastSeq, events: result.events, lastDate: Day(result.lastDay).date),
                            versions: versionReports(result), bandDifferences: differences)
    }
}
