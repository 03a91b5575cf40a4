import Foundation
import EventLog
import GRDB
import GRDBSQLite
import ThroughlineCore

/// Each statement the folds write rows with. A fold collects its rows in a `RowList`, which
/// binds them with SQLite's own calls: the live projector inside its batch's transaction, a
/// rebuild on its writer thread while its fold threads build the next ranges.
enum RowStatement: Int, CaseIterable {
    case account, accountProfile, item, ticketEvent, usageWeek, accountRecords, dropAccountRecords, call, milestoneEvent, touchEvent, survey, override, note, profileEvent
    case scoreDirty, scoresDone, alertDirty, logDay, score, accountScore, dropBandItems, rules, projectionError, accountOutcome
    case identity, owner, contact, mention, taskEvent, messageEvent, triageEvent, release

    var sql: String {
        switch self {
        case .account: """
            INSERT INTO accounts (account, events, first_us, last_us, last_contact_us) VALUES (?, ?, ?, ?, ?)
            ON CONFLICT (account) DO UPDATE SET events = events + excluded.events,
                first_us = min(first_us, excluded.first_us), last_us = max(last_us, excluded.last_us),
                last_contact_us = CASE WHEN last_contact_us IS NULL OR excluded.last_contact_us > last_contact_us
                                       THEN excluded.last_contact_us ELSE last_contact_us END
            """
        case .accountOutcome:
            // The latest outcome by event time wins, whatever order the events arrive in.
            "UPDATE accounts SET outcome = ?, outcome_us = ? WHERE account = ? AND (outcome_us IS NULL OR outcome_us <= ?)"
        case .accountProfile:
            "UPDATE accounts SET profile = ?, name = ?, plan = ?, csm = ?, arr = ?, renewal_date = ? WHERE account = ?"
        case .item:
            "INSERT OR REPLACE INTO items (account, key, time_us, kind, title, source, seqs, detail, audience) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
        case .ticketEvent: """
            INSERT OR REPLACE INTO ticket_events (account, ticket, time_us, id, seq, kind, priority, status, csat, subject, category, resolution, source)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """
        case .usageWeek: """
            INSERT OR REPLACE INTO usage_weeks (account, week, active_users, events, features, day_bits, seqs, first_us, first_id, source)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """
        case .accountRecords:
            "INSERT OR REPLACE INTO account_records (account, span, part, records) VALUES (?, ?, ?, ?)"
        case .dropAccountRecords:
            "DELETE FROM account_records WHERE account = ? AND span = ?"
        case .call:
            "INSERT OR REPLACE INTO calls (account, time_us, id, seq, kind, team, sentiment, text) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
        case .milestoneEvent:
            "INSERT OR REPLACE INTO milestone_events (account, milestone, time_us, id, seq, status, due) VALUES (?, ?, ?, ?, ?, ?, ?)"
        case .touchEvent:
            "INSERT OR REPLACE INTO touch_events (account, team, time_us, id, seq) VALUES (?, ?, ?, ?, ?)"
        case .survey:
            "INSERT OR REPLACE INTO surveys (account, time_us, id, seq, kind, score) VALUES (?, ?, ?, ?, ?, ?)"
        case .override:
            "INSERT OR REPLACE INTO overrides (account, time_us, id, seq, author, band, reason, expires) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
        case .note:
            "INSERT OR REPLACE INTO notes (account, time_us, id, seq, author, text, audience) VALUES (?, ?, ?, ?, ?, ?, ?)"
        case .profileEvent:
            "INSERT OR REPLACE INTO profile_events (account, time_us, id, seq, event) VALUES (?, ?, ?, ?, ?)"
        case .projectionError:
            "INSERT OR REPLACE INTO projection_errors (seq, account, error) VALUES (?, ?, ?)"
        case .scoreDirty: """
            INSERT INTO score_dirty (account, from_day) VALUES (?, ?)
            ON CONFLICT (account) DO UPDATE SET from_day = min(from_day, excluded.from_day)
            """
        case .scoresDone:
            "DELETE FROM score_dirty WHERE account = ?"
        case .alertDirty:
            "INSERT INTO alert_dirty (account, mark, live) VALUES (?, 1, ?) ON CONFLICT (account) DO UPDATE SET mark = mark + 1, live = max(live, excluded.live)"
        case .logDay:
            "UPDATE meta SET value = max(value, ?) WHERE key = ?"
        case .score: """
            INSERT OR REPLACE INTO scores (rules, account, first_day, last_day, complete, score, band, detail, points)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
            """
        case .accountScore:
            "UPDATE accounts SET score = ?, band = ? WHERE account = ?"
        case .dropBandItems:
            "DELETE FROM items WHERE account = ? AND key >= ? AND key < ?"
        case .rules:
            "INSERT OR REPLACE INTO rules (version, text, state, cursor) VALUES (?, ?, ?, ?)"
        case .identity:
            "INSERT OR REPLACE INTO identity (seq, kind, subject, target, time_us, id) VALUES (?, ?, ?, ?, ?, ?)"
        case .owner:
            "INSERT OR REPLACE INTO owners (key, account) VALUES (?, ?)"
        case .contact:
            "INSERT OR REPLACE INTO contacts (account, time_us, id, seq, person, email, name, title, role, left, consent_calls, consent_email) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
        case .taskEvent:
            "INSERT OR REPLACE INTO task_events (account, time_us, id, seq, task, kind, title, due, assignee, alert, actor, resolution) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
        case .messageEvent:
            "INSERT OR REPLACE INTO message_events (account, time_us, id, seq, message, channel, template, actor, ticket) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
        case .triageEvent:
            "INSERT OR REPLACE INTO triage_events (account, time_us, id, seq, ticket, version, priority, tier, reasons) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
        case .release:
            "INSERT OR REPLACE INTO releases (seq, time_us, id, version, day, notes, plans) VALUES (?, ?, ?, ?, ?, ?, ?)"
        case .mention:
            "INSERT OR REPLACE INTO person_mentions (account, time_us, id, n, seq, via, handle, sentiment, ticket, author) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
        }
    }
}

/// Collects rows to be written later, in the order they were put: each row's statement and
/// values packed into one buffer (a tag and the bytes of each value), so a row costs no
/// allocation of its own and the writer binds text and blobs straight from the buffer.
struct RowList: Sendable {
    private var bytes: [UInt8] = []
    private(set) var count = 0

    private enum Tag: UInt8 { case null, integer, real, text, blob }

    /// Rows put together by one `stretch` call, to be moved into another list as one.
    struct Stretch: Sendable {
        let bytes: Range<Int>
        let rows: Int
    }

    /// Puts rows with `put` and returns where they are.
    mutating func stretch(_ put: (inout RowList) -> Void) -> Stretch {
        let (start, rows) = (bytes.count, count)
        put(&self)
        return Stretch(bytes: start..<bytes.count, rows: count - rows)
    }

    /// Appends the rows of `stretch` of `other`.
    mutating func append(_ stretch: Stretch, of other: RowList) {
        bytes.append(contentsOf: other.bytes[stretch.bytes])
        count += stretch.rows
    }

    /// Puts one row of `statement`. The values are packed as they are given (a pack of concrete
    /// types, not an array of boxed ones: no allocation and no dynamic dispatch per value).
    mutating func put<each V: RowValue>(_ statement: RowStatement, _ values: repeat each V) {
        bytes.append(UInt8(statement.rawValue))
        let countAt = bytes.count
        bytes.append(0)
        var n: UInt8 = 0
        for value in repeat each values {
            value.put(into: &self)
            n += 1
        }
        bytes[countAt] = n
        count += 1
    }

    /// A column left empty (SQL's NULL), where a row names no value of a type.
    static let null: Int64? = nil

    mutating func putNull() { bytes.append(Tag.null.rawValue) }

    mutating func putInteger(_ n: Int64) {
        bytes.append(Tag.integer.rawValue)
        withUnsafeBytes(of: n.littleEndian) { bytes.append(contentsOf: $0) }
    }

    mutating func putReal(_ d: Double) {
        bytes.append(Tag.real.rawValue)
        withUnsafeBytes(of: d.bitPattern.littleEndian) { bytes.append(contentsOf: $0) }
    }

    mutating func putText(_ text: UnsafeRawBufferPointer) { append(.text, text) }

    mutating func putBlob(_ blob: UnsafeRawBufferPointer) { append(.blob, blob) }

    /// Text that `write` appends straight to the buffer (no string made on the way).
    mutating func putText(writing write: (inout [UInt8]) -> Void) {
        bytes.append(Tag.text.rawValue)
        let lengthAt = bytes.count
        bytes.append(contentsOf: [0, 0, 0, 0] as [UInt8])
        write(&bytes)
        let length = UInt32(bytes.count - lengthAt - 4)
        for k in 0..<4 { bytes[lengthAt + k] = UInt8(truncatingIfNeeded: length >> (8 * k)) }
    }

    private mutating func append(_ tag: Tag, _ value: UnsafeRawBufferPointer) {
        bytes.append(tag.rawValue)
        withUnsafeBytes(of: UInt32(value.count).littleEndian) { bytes.append(contentsOf: $0) }
        bytes.append(contentsOf: value)
    }

    /// Writes every row with SQLite's own binding calls. Only the statements the rows use are
    /// looked up, in the connection's cache: preparing all of them on every write (parsing 32
    /// statements) had been a quarter of the live projector's time when events come one by one.
    func write(_ db: Database) throws {
        var statements = [Statement?](repeating: nil, count: RowStatement.allCases.count)
        try bytes.withUnsafeBytes { (b: UnsafeRawBufferPointer) throws in
            var at = 0
            func load<T: FixedWidthInteger>(_: T.Type) -> T {
                defer { at += MemoryLayout<T>.size }
                return T(littleEndian: b.loadUnaligned(fromByteOffset: at, as: T.self))
            }
            while at < b.count {
                let statement = RowStatement(rawValue: Int(load(UInt8.self)))!
                let values = Int(load(UInt8.self))
                if statements[statement.rawValue] == nil { statements[statement.rawValue] = try db.cachedStatement(sql: statement.sql) }
                let s = statements[statement.rawValue]!.sqliteStatement
                sqlite3_reset(s)
                for n in 0..<values {
                    let i = CInt(n + 1)
                    let tag = Tag(rawValue: load(UInt8.self))!
                    let rc: CInt
                    switch tag {
                    case .null: rc = sqlite3_bind_null(s, i)
                    case .integer: rc = sqlite3_bind_int64(s, i, load(Int64.self))
                    case .real: rc = sqlite3_bind_double(s, i, Double(bitPattern: load(UInt64.self)))
                    case .text, .blob:
                        let length = Int(load(UInt32.self))
                        // Bound in place (no destructor: SQLite's static binding): the buffer outlives the step below.
                        let start = b.baseAddress! + at
                        rc = tag == .text ? sqlite3_bind_text(s, i, start.assumingMemoryBound(to: CChar.self), CInt(length), nil)
                                          : sqlite3_bind_blob(s, i, start, CInt(length), nil)
                        at += length
                    }
                    guard rc == SQLITE_OK else { throw DatabaseError(resultCode: ResultCode(rawValue: rc), message: "cannot bind a value of \(statement): \(String(cString: sqlite3_errstr(rc)))") }
                }
                let rc = sqlite3_step(s)
                guard rc == SQLITE_DONE else {
                    // SQLite's own code says whether retrying can help (a full disk) or not (a constraint).
                    throw DatabaseError(resultCode: ResultCode(rawValue: sqlite3_extended_errcode(db.sqliteConnection)),
                                        message: "cannot write a row of \(statement): \(String(cString: sqlite3_errmsg(db.sqliteConnection)))")
                }
            }
        }
    }
}

/// A value of a row as `RowList` packs it, bound as GRDB would bind it: integers (and booleans,
/// as 1 and 0) as integers, doubles as reals, strings as text, data as blobs, nil as null.
protocol RowValue {
    func put(into rows: inout RowList)
}

extension Int: RowValue {
    func put(into rows: inout RowList) { rows.putInteger(Int64(self)) }
}

extension Int64: RowValue {
    func put(into rows: inout RowList) { rows.putInteger(self) }
}

extension Bool: RowValue {
    func put(into rows: inout RowList) { rows.putInteger(self ? 1 : 0) }
}

extension Double: RowValue {
    func put(into rows: inout RowList) { rows.putReal(self) }
}

extension String: RowValue {
    func put(into rows: inout RowList) {
        var text = self
        text.withUTF8 { rows.putText(UnsafeRawBufferPointer($0)) }
    }
}

extension Data: RowValue {
    func put(into rows: inout RowList) { withUnsafeBytes { rows.putBlob($0) } }
}

extension Optional: RowValue where Wrapped: RowValue {
    func put(into rows: inout RowList) {
        if let value = self { value.put(into: &rows) } else { rows.putNull() }
    }
}

/// A JSON value a row holds as its compact text (`JSONWriter`).
struct JSONText: RowValue {
    let value: JSONValue

    init(_ value: JSONValue) { self.value = value }

    func put(into rows: inout RowList) { rows.putText { JSONWriter.write(value, into: &$0) } }
}

/// Seqs a row holds as text: in decimal, separated by commas.
struct SeqsText: RowValue {
    let seqs: [UInt64]

    init(_ seqs: [UInt64]) { self.seqs = seqs }

    func put(into rows: inout RowList) {
        rows.putText { out in
            for (i, seq) in seqs.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                appendDecimal(seq, into: &out)
            }
        }
    }
}
