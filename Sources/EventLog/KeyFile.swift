import Crypto
import Foundation
import GRDB

/// The key store beside segment files, `keys.sqlite`. A deleted key is overwritten in the file
/// (`secure_delete`), and the rollback journal (not a WAL, which would keep old pages until a
/// checkpoint) is deleted once each change commits.
final class KeyFile: KeyVault, @unchecked Sendable {
    let name: String
    let writable: Bool
    var shared: Bool { false }
    private let queue: DatabaseQueue

    /// Opens `path` (made, with the store's secret, if `writable`).
    init(path: String, writable: Bool) throws {
        name = path
        self.writable = writable
        var config = Configuration()
        config.readonly = !writable
        config.busyMode = .timeout(5)
        config.prepareDatabase { db in
            try db.execute(sql: "PRAGMA secure_delete = ON")
            if !db.configuration.readonly { try db.execute(sql: "PRAGMA journal_mode = DELETE; PRAGMA synchronous = FULL") }
        }
        do {
            if writable { try FileSystem.ownerOnly(path) }
            queue = try DatabaseQueue(path: path, configuration: config)
            if writable {
                try queue.write { db in
                    try Self.prepare(db)
                    if try Int.fetchOne(db, sql: "SELECT count(*) FROM secret") == 0 {
                        try db.execute(sql: "INSERT INTO secret (value) VALUES (?)", arguments: [SymmetricKey(size: .bits256).withUnsafeBytes { Data($0) }])
                    }
                }
            }
        } catch {
            throw StoreError(.io, "cannot open the key store \(path): \(error)")
        }
    }

    /// Makes the tables (and the store's secret) where missing.
    private static func prepare(_ db: Database) throws {
        try db.execute(sql: """
            CREATE TABLE IF NOT EXISTS keys (number INTEGER PRIMARY KEY, subject TEXT NOT NULL UNIQUE, key BLOB NOT NULL);
            CREATE TABLE IF NOT EXISTS erased (number INTEGER PRIMARY KEY, token TEXT NOT NULL);
            CREATE TABLE IF NOT EXISTS secret (value BLOB NOT NULL);
            CREATE TABLE IF NOT EXISTS applied (seq INTEGER PRIMARY KEY);
            """)
        // Stores from before people had keys of their own: every key was an account's.
        if try !db.columns(in: "keys").contains(where: { $0.name == "owner" }) {
            try db.execute(sql: "ALTER TABLE keys ADD COLUMN owner TEXT")
        }
    }

    func contents() throws -> KeyringContents {
        do { return try queue.read { db in try Self.contents(db) } } catch {
            throw StoreError(.io, "cannot read the key store \(name): \(error)")
        }
    }

    func add(_ keys: [KeyringContents.Key]) throws -> [KeyringContents.Key] {
        do {
            return try queue.write { db in
                try keys.map { key in
                    try Self.insert(key, into: db, orIgnore: true)
                    // (Ignored also when another key has the number: then no key names the subject.)
                    guard let r = try Row.fetchOne(db, sql: "SELECT number, key, owner FROM keys WHERE subject = ?", arguments: [key.subject]) else {
                        throw StoreError(.io, "key number \(key.number) is taken in \(name); send the event again")
                    }
                    return KeyringContents.Key(number: UInt64(bitPattern: r[0] as Int64), subject: key.subject, key: [UInt8](r[1] as Data), owner: r[2])
                }
            }
        } catch let e as StoreError { throw e } catch {
            throw StoreError(.io, "cannot store a key in \(name): \(error)")
        }
    }

    func destroy(_ numbers: Set<UInt64>, tokens: [UInt64: String], applying seq: UInt64) throws {
        do {
            try queue.write { db in
                for n in numbers {
                    try db.execute(sql: "DELETE FROM keys WHERE number = ?", arguments: [Int64(bitPattern: n)])
                    if let t = tokens[n] {
                        try db.execute(sql: "INSERT OR REPLACE INTO erased (number, token) VALUES (?, ?)", arguments: [Int64(bitPattern: n), t])
                    }
                }
                try db.execute(sql: "INSERT OR IGNORE INTO applied (seq) VALUES (?)", arguments: [Int64(seq)])
            }
        } catch {
            throw StoreError(.io, "cannot destroy keys in \(name): \(error)")
        }
    }

    func find(_ number: UInt64) throws -> (key: KeyringContents.Key?, token: String?) { (nil, nil) }

    /// Fills the file from `contents`; one with keys already is refused (`copy` makes new stores only).
    func fill(_ c: KeyringContents) throws {
        do {
            try queue.write { db in
                guard try Int.fetchOne(db, sql: "SELECT count(*) FROM keys") == 0 else {
                    throw StoreError(.invalid, "\(name) holds keys already; copy only into a new store")
                }
                try db.execute(sql: "DELETE FROM secret")
                for k in c.keys { try Self.insert(k, into: db, orIgnore: false) }
                for (n, t) in c.erased { try db.execute(sql: "INSERT INTO erased (number, token) VALUES (?, ?)", arguments: [Int64(bitPattern: n), t]) }
                if let secret = c.secret { try db.execute(sql: "INSERT INTO secret (value) VALUES (?)", arguments: [Data(secret)]) }
                for seq in c.applied { try db.execute(sql: "INSERT INTO applied (seq) VALUES (?)", arguments: [Int64(seq)]) }
            }
        } catch let e as StoreError { throw e } catch {
            throw StoreError(.io, "cannot write the key store \(name): \(error)")
        }
    }

    /// Writes one key's row (`orIgnore`: not when its subject or number is taken).
    private static func insert(_ key: KeyringContents.Key, into db: Database, orIgnore: Bool) throws {
        try db.execute(sql: "INSERT\(orIgnore ? " OR IGNORE" : "") INTO keys (number, subject, key, owner) VALUES (?, ?, ?, ?)",
                       arguments: [Int64(bitPattern: key.number), key.subject, Data(key.key), key.owner])
    }

    private static func contents(_ db: Database) throws -> KeyringContents {
        var c = KeyringContents()
        let owner = try db.columns(in: "keys").contains { $0.name == "owner" }
        for r in try Row.fetchAll(db, sql: "SELECT number, subject, key\(owner ? ", owner" : "") FROM keys ORDER BY number") {
            c.keys.append(.init(number: UInt64(bitPattern: r[0] as Int64), subject: r[1], key: [UInt8](r[2] as Data), owner: owner ? r[3] : nil))
        }
        if try db.tableExists("erased") {
            for r in try Row.fetchAll(db, sql: "SELECT number, token FROM erased") { c.erased[UInt64(bitPattern: r[0] as Int64)] = r[1] }
        }
        if try db.tableExists("secret") { c.secret = try Data.fetchOne(db, sql: "SELECT value FROM secret").map { [UInt8]($0) } }
        if try db.tableExists("applied") { c.applied = try Int64.fetchAll(db, sql: "SELECT seq FROM applied ORDER BY seq").map { UInt64($0) } }
        return c
    }
}
