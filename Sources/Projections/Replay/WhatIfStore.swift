import EventLog
import Foundation
import GRDB
import Scoring
import ThroughlineCore

/// A replay's results kept for later: `DIR/whatif.sqlite` (each version's rules text and every
/// account's daily series and churn day) and `DIR/report.json`. Nothing in them depends on when
/// or how fast the replay ran, so the same log and rules give the same bytes.
public enum WhatIfStore {
    public static func write(_ result: Replay.Result, texts: [String], to dir: String) throws -> JSONValue {
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let path = dir + "/whatif.sqlite"
        for suffix in ["", "-wal", "-shm", "-journal"] { try? FileManager.default.removeItem(atPath: path + suffix) }
        let queue = try DatabaseQueue(path: path)
        try queue.write { db in
            try db.execute(sql: """
                CREATE TABLE replay (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
                CREATE TABLE rules (version TEXT PRIMARY KEY, position INTEGER NOT NULL, text TEXT NOT NULL);
                CREATE TABLE scores (rules TEXT NOT NULL, account TEXT NOT NULL, first_day INTEGER NOT NULL, churn_day INTEGER,
                                     points BLOB NOT NULL, PRIMARY KEY (rules, account));
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
        }
        try queue.close()
        let report = self.report(result)
        try Data(JSONWriter.string(report).utf8 + [UInt8(ascii: "\n")]).write(to: URL(fileURLWithPath: dir + "/report.json"))
        return report
    }

    /// Each version's backtest, and the accounts whose band on the last day differs between the
    /// first two versions.
    public static func report(_ result: Replay.Result) -> JSONValue {
        var m: [JSONMember] = [
            JSONMember("log", .object([JSONMember("last_seq", .number(String(result.lastSeq))), JSONMember("events", .number(String(result.events))),
                                       JSONMember("last_date", .string(CalendarDate(daysSinceEpoch: result.lastDay).description))])),
            JSONMember("versions", .array(zip(result.rules, result.accounts).map { Backtest.report($0, $1, lastDay: result.lastDay) })),
        ]
        if result.rules.count >= 2 {
            let (a, b) = (result.rules[0], result.rules[1])
            var differing: [JSONValue] = []
            for (x, y) in zip(result.accounts[0], result.accounts[1]) {
                let day = min(x.series.lastDay, y.series.lastDay)
                let bx = x.series.score(on: day).map(a.band(of:)), by = y.series.score(on: day).map(b.band(of:))
                guard bx != by else { continue }
                differing.append(.object([
                    JSONMember("account", .string(x.account)), JSONMember("date", .string(CalendarDate(daysSinceEpoch: day).description)),
                    JSONMember(a.version, bx.map { .string($0.rawValue) } ?? .null), JSONMember(b.version, by.map { .string($0.rawValue) } ?? .null),
                ]))
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
