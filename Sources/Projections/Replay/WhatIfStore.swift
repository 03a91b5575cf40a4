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
    public static func write(_ result: Replay.Result, texts: [String], to dir: String) throws -> JSONValue {
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let path = dir + "/whatif.sqlite"
        for suffix in ["", "-wal", "-shm", "-journal"] { try? FileManager.default.removeItem(atPath: path + suffix) }
        try FileSystem.ownerOnly(path)
        let queue = try DatabaseQueue(path: path)
        // The report is worked out on the other core while the scores are written.
        let worked = Mutex<JSONValue?>(nil)
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
            try db.execute(sql: "INSERT INTO report VALUES (?)", arguments: [JSONWriter.string(worked.withLock { $0 }!)])
        }
        let report = worked.withLock { $0 }!
        try queue.close()
        try Data(JSONWriter.string(report).utf8 + [UInt8(ascii: "\n")]).write(to: URL(fileURLWithPath: dir + "/report.json"))
        for (name, text) in csvTables(report) {
            try Data(text.utf8).write(to: URL(fileURLWithPath: dir + "/" + name))
        }
        return report
    }

    /// The report a replay kept in `DIR/whatif.sqlite`, opened read-only; an error names the
    /// file when it is missing or is not a what-if store.
    public static func storedReport(in dir: String) throws -> JSONValue {
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
            return try JSONParser.parse(text)
        } catch let e as ReadModelError {
            throw e
        } catch {
            throw ReadModelError(.damaged, "\(path) is not a readable what-if store: \(error)")
        }
    }

    /// The report's tables as CSV files: bands by week, lead times, horizons, band differences.
    static func csvTables(_ report: JSONValue) -> [(String, String)] {
        guard case .array(let versions)? = report["versions"] else { return [] }
        func rows(_ key: String, _ columns: [String]) -> String {
            var out = (["rules"] + columns).joined(separator: ",") + "\n"
            for v in versions {
                guard case .array(let items)? = v[key] else { continue }
                for item in items { out += ([v["rules"]] + columns.map { item[$0] }).map(csvField).joined(separator: ",") + "\n" }
            }
            return out
        }
        var tables = [
            ("bands_by_week.csv", rows("weeks", ["week", "red", "yellow", "green", "red_during_week"])),
            ("lead_times.csv", rows("lead_times", ["account", "churn_date", "first_red", "red_lead_days", "first_yellow_or_red", "yellow_lead_days"])),
            ("horizons.csv", rows("horizons", ["days", "true_positives", "false_positives", "false_negatives", "true_negatives",
                                               "precision", "recall", "f1"])),
        ]
        if let d = report["band_differences"], case .array(let names)? = d["rules"], case .array(let list)? = d["list"] {
            let pair = names.map(csvField)
            var out = "account,date,band \(pair[0]),band \(pair[1]),largest difference\n"
            for item in list {
                var signal: JSONValue?
                if case .array(let signals)? = item["signals"] { signal = signals.first?["signal"] }
                out += [item["account"], item["date"], item[pair[0]], item[pair[1]], signal].map(csvField).joined(separator: ",") + "\n"
            }
            tables.append(("band_differences.csv", out))
        }
        return tables
    }

    /// A value as one CSV field: quoted when it holds a comma, quote or line break.
    static func csvField(_ v: JSONValue?) -> String {
        let text = v?.scalarText ?? ""
        guard text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return text }
        return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    /// Each version's backtest, the versions on all cores at once.
    static func versionReports(_ result: Replay.Result) -> [JSONValue] {
        let reports = Mutex([JSONValue?](repeating: nil, count: result.rules.count))
        DispatchQueue.concurrentPerform(iterations: result.rules.count) { i in
            let report = Backtest.report(result.rules[i], result.accounts[i], lastDay: result.lastDay)
            reports.withLock { $0[i] = report }
        }
        return reports.withLock { $0 }.map { $0! }
    }

    /// Each version's backtest, and the accounts whose band on the last day differs between the
    /// first two versions.
    public static func report(_ result: Replay.Result) -> JSONValue {
        var m: [JSONMember] = [
            JSONMember("log", .object([JSONMember("last_seq", .number(String(result.lastSeq))), JSONMember("events", .number(String(result.events))),
                                       JSONMember("last_date", .string(CalendarDate(daysSinceEpoch: result.lastDay).description))])),
            JSONMember("versions", .array(versionReports(result))),
        ]
        if result.rules.count >= 2 {
            let (a, b) = (result.rules[0], result.rules[1])
            func points(_ v: Double) -> JSONValue { .number(NumberText.plain((v * 10).rounded() / 10)) }
            let differing: [JSONValue] = result.differences.map { d in
                .object([
                    JSONMember("account", .string(d.account)), JSONMember("date", .string(CalendarDate(daysSinceEpoch: d.day).description)),
                    JSONMember(a.version, d.bands.0.map { .string($0.rawValue) } ?? .null),
                    JSONMember(b.version, d.bands.1.map { .string($0.rawValue) } ?? .null),
                    JSONMember("signals", .array(d.signals.map { s in
                        .object([JSONMember("signal", .string(s.signal.rawValue)),
                                 JSONMember("points", .object([JSONMember(a.version, points(s.points.0)), JSONMember(b.version, points(s.points.1))])),
                                 JSONMember("reason", .string(s.reasons.0.isEmpty ? s.reasons.1 : s.reasons.0))])
                    })),
                ])
            }
            m.append(JSONMember("band_differences", .object([
                JSONMember("rules", .array([.string(a.version), .string(b.version)])),
                JSONMember("accounts", .number(String(differing.count))),
                JSONMember("list", .array(differing)),
            ])))
        }
        return .object(m)
    }
}
