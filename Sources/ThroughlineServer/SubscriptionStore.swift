import EventLog
import Foundation
import GRDB
import Synchronization
import ThroughlineCore

/// Named durable subscriptions (`subscriptions.sqlite` beside the log, owner-only): what each
/// one streams (types, an account), how many members share its work (each takes the accounts
/// that hash to it), and the position each member acknowledged, so a consumer that restarts
/// goes on from there. What was sent to each member is kept in memory, so that an
/// acknowledgement of a position never sent is refused.
final class SubscriptionStore: Sendable {
    struct Definition: Sendable, Equatable {
        var name: String
        var types: [EventType]?
        var account: String?
        var members: Int

        var json: JSONValue {
            var m = [JSONMember("name", .string(name)), JSONMember("members", .number(String(members)))]
            if let types { m.append(JSONMember("types", .array(types.map { .string($0.rawValue) }))) }
            if let account { m.append(JSONMember("account", .string(account))) }
            return .object(m)
        }

        /// Whether `view` is member `member`'s to receive.
        func keeps(_ view: RecordView, member: Int) -> Bool {
            if let types, !types.contains(view.type) { return false }
            if let account, !view.accountBytes.elementsEqual(account.utf8) { return false }
            return members == 1 || view.accountBytes.withUnsafeBytes { Partitioning(count: members).partition(ofAccount: $0) } == member
        }

        /// What names member `member`'s filter: streams of equal ones share their chunks (`StreamChunks`).
        func share(member: Int) -> String {
            "types=\(types.map { $0.map(\.rawValue).sorted().joined(separator: ",") } ?? "*")&account=\(account ?? "*")&member=\(member)/\(members)"
        }
    }

    static let maxMembers = 64

    private let queue: DatabaseQueue
    private let sent = Mutex<[String: LogPosition]>([:])

    init(directory: String) throws {
        let path = directory + "/subscriptions.sqlite"
        queue = try DatabaseQueue(path: path)
        try FileSystem.ownerOnly(path)
        try queue.write { db in
            try db.execute(sql: """
                CREATE TABLE IF NOT EXISTS subscription (name TEXT PRIMARY KEY, types TEXT, account TEXT, members INTEGER NOT NULL);
                CREATE TABLE IF NOT EXISTS subscription_ack (name TEXT NOT NULL, member INTEGER NOT NULL, position TEXT NOT NULL,
                                                             PRIMARY KEY (name, member));
                """)
        }
    }

    /// Makes `definition`, starting each member at `start`; the same definition again is
    /// answered as it is (false), another under the same name refused.
    func create(_ definition: Definition, start: LogPosition) throws -> Bool {
        try queue.write { db in
            if let existing = try Self.definition(db, definition.name) {
                guard existing == definition else {
                    throw Query.Problem(message: "subscription \(definition.name) exists with another definition (\(JSONWriter.string(existing.json)))")
                }
                return false
            }
            try db.execute(sql: "INSERT INTO subscription (name, types, account, members) VALUES (?, ?, ?, ?)",
                           arguments: [definition.name, definition.types?.map(\.rawValue).joined(separator: ","), definition.account, definition.members])
            for member in 0..<definition.members {
                try db.execute(sql: "INSERT INTO subscription_ack (name, member, position) VALUES (?, ?, ?)",
                               arguments: [definition.name, member, start.description])
            }
            return true
        }
    }

    /// The subscription `name` with each member's acknowledged position, or nil.
    func get(_ name: String, partitions: Partitioning) throws -> (Definition, [LogPosition])? {
        try queue.read { db in
            guard let d = try Self.definition(db, name) else { return nil }
            let positions = try String.fetchAll(db, sql: "SELECT position FROM subscription_ack WHERE name = ? ORDER BY member", arguments: [name])
            return (d, try positions.map { try LogPosition(parsing: Substring($0), partitions: partitions) })
        }
    }

    func names() throws -> [String] {
        try queue.read { db in try String.fetchAll(db, sql: "SELECT name FROM subscription ORDER BY name") }
    }

    /// Notes that member `member` of `name` was sent everything up to `position`.
    func sent(_ name: String, member: Int, through position: LogPosition) {
        sent.withLock { s in
            let key = "\(name)#\(member)"
            s[key] = s[key].map { $0.union(position) } ?? position
        }
    }

    /// Stores `position` as what member `member` of `name` has handled; refused when it was
    /// never sent to that member (since the server started) or is behind what it acknowledged.
    func acknowledge(_ name: String, member: Int, position: LogPosition) throws {
        let reached = sent.withLock { $0["\(name)#\(member)"] }
        guard let reached, reached.reaches(position) else {
            throw Query.Problem(message: "position: \(position) was never sent to member \(member) of subscription \(name)"
                                + (reached.map { " (it was sent up to \($0))" } ?? " (nothing was sent to it yet)"))
        }
        try queue.write { db in
            let current = try String.fetchOne(db, sql: "SELECT position FROM subscription_ack WHERE name = ? AND member = ?", arguments: [name, member])
            guard let current else { throw Query.Problem(message: "subscription \(name) has no member \(member)") }
            let acked = try LogPosition(parsing: Substring(current), partitions: position.partitioning)
            try db.execute(sql: "UPDATE subscription_ack SET position = ? WHERE name = ? AND member = ?",
                           arguments: [acked.union(position).description, name, member])
        }
    }

    private static func definition(_ db: Database, _ name: String) throws -> Definition? {
        guard let row = try Row.fetchOne(db, sql: "SELECT types, account, members FROM subscription WHERE name = ?", arguments: [name]) else { return nil }
        let types: String? = row[0]
        return Definition(name: name, types: types.map { $0.split(separator: ",").compactMap { EventType.named(String($0)) } },
                          account: row[1], members: row[2])
    }
}
