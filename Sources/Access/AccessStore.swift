import Crypto
import EventLog
import Foundation
import GRDB
import HummingbirdBcrypt
import Synchronization
import ThroughlineCore

/// The size and change time of a SQLite file, and the size and header of its write-ahead log:
/// every commit, by this process or another, changes one of them (a commit appends frames to
/// the log; a log started again gets new salts in its header; a checkpoint writes the file), so
/// equal stamps mean nothing was written in between.
public struct FileStamp: Equatable, Sendable {
    let file: [Int64], wal: [Int64], walHeader: [UInt8]

    /// The stamp of `path` now; nil if it cannot be read (then nothing is kept).
    init?(_ path: String) {
        func stamp(_ p: String) -> [Int64]? {
            var s = stat()
            guard stat(p, &s) == 0 else { return nil }
            return [Int64(s.st_size), Int64(s.st_mtim.tv_sec), Int64(s.st_mtim.tv_nsec), Int64(s.st_ino)]
        }
        guard let file = stamp(path) else { return nil }
        (self.file, wal) = (file, stamp(path + "-wal") ?? [])
        var header = [UInt8](repeating: 0, count: 32)
        let fd = open(path + "-wal", O_RDONLY | O_CLOEXEC)
        if fd >= 0 {
            let n = header.withUnsafeMutableBytes { pread(fd, $0.baseAddress, 32, 0) }
            close(fd)
            header = Array(header.prefix(max(0, n)))
        }
        walHeader = header
    }
}

/// The API tokens and the local accounts people sign in with, in `access.sqlite` beside the
/// log (owner-only, like the log). A token is shown once when created; only its SHA-256 is kept,
/// so a copy of the file signs nobody in (a token is 256 random bits, so a fast hash is enough).
/// Passwords are kept as bcrypt hashes. The file is written by the CLI while the server runs;
/// the server checks it on every signed request, so a revoked token stops working at once:
/// what it read is kept while the file and its write-ahead log are unchanged (`FileStamp`).
public final class AccessStore: Sendable {
    let pool: DatabasePool
    let path: String
    /// What the last reads found, valid while the files have the stamp it was read at.
    private let cache = Mutex<(stamp: FileStamp?, hasPrincipals: Bool?, tokens: [String: Principal?])>((nil, nil, [:]))
    /// bcrypt's cost for new passwords (each step doubles the time a guess takes).
    let cost: UInt8

    public static func path(in directory: String) -> String { directory + "/access.sqlite" }

    public init(directory: String, passwordCost: UInt8 = 12) throws(AccessError) {
        cost = passwordCost
        path = Self.path(in: directory)
        pool = try AccessFile.open(path, what: "the access store", schema: """
            CREATE TABLE IF NOT EXISTS tokens (
                id TEXT PRIMARY KEY, name TEXT NOT NULL, role TEXT NOT NULL, book TEXT NOT NULL,
                hash TEXT NOT NULL UNIQUE, created_us INTEGER NOT NULL, revoked_us INTEGER
            );
            CREATE TABLE IF NOT EXISTS users (
                name TEXT PRIMARY KEY COLLATE NOCASE, role TEXT NOT NULL, book TEXT NOT NULL,
                password TEXT NOT NULL, created_us INTEGER NOT NULL
            );
            """)
    }

    /// A token as listed (never its secret).
    public struct Token: Sendable, Equatable {
        public var id: String
        public var name: String
        public var role: Role
        public var book: [String]
        public var created: Int64
        public var revoked: Int64?
    }

    /// A local account as listed (never its password).
    public struct User: Sendable, Equatable {
        public var name: String
        public var role: Role
        public var book: [String]
        public var created: Int64
    }

    /// Makes a token and returns its secret, the only time it is seen.
    public func createToken(name: String, role: Role, book: [String], now: Int64) throws(AccessError) -> (token: Token, secret: String) {
        try Self.checkName(name, "token")
        let secret = "tl_" + RandomText.base64URL(32)
        let token = Token(id: RandomText.hex(6), name: name, role: role, book: book, created: now)
        try write { db in
            try db.execute(sql: "INSERT INTO tokens (id, name, role, book, hash, created_us) VALUES (?, ?, ?, ?, ?, ?)",
                           arguments: [token.id, name, role.rawValue, book.joined(separator: "\n"), Self.digest(secret), now])
        }
        return (token, secret)
    }

    /// Every token, newest first, revoked ones included (with when).
    public func tokens() throws(AccessError) -> [Token] {
        try read { db in
            try Row.fetchAll(db, sql: "SELECT id, name, role, book, created_us, revoked_us FROM tokens ORDER BY created_us DESC, id").map { r in
                Token(id: r[0], name: r[1], role: Role(rawValue: r[2]) ?? .producer, book: Self.book(r[3]), created: r[4], revoked: r[5])
            }
        }
    }

    /// Revokes the token with this id, or the one active token with this name; returns it.
    public func revokeToken(_ idOrName: String, now: Int64) throws(AccessError) -> Token {
        let active = try tokens().filter { $0.revoked == nil }
        let matches = active.filter { $0.id == idOrName }.nilIfEmpty ?? active.filter { $0.name == idOrName }
        guard matches.count == 1, var token = matches.first else {
            throw AccessError(matches.isEmpty ? "no active token has the id or name \(idOrName) (see `throughline tokens list`)"
                                            : "\(matches.count) active tokens are named \(idOrName); revoke one by its id")
        }
        try write { db in try db.execute(sql: "UPDATE tokens SET revoked_us = ? WHERE id = ?", arguments: [now, token.id]) }
        token.revoked = now
        return token
    }

    /// The principal a bearer token stands for, or nil when it is unknown or revoked.
    public func principal(token secret: String) throws(AccessError) -> Principal? {
        try principal(token: secret, at: FileStamp(path))
    }

    /// The files' stamp now: one per request serves `hasPrincipals(at:)` and `principal(token:at:)`.
    public func stamp() -> FileStamp? { FileStamp(path) }

    /// `principal(token:)`, with what was read kept under `stamp` (taken before).
    public func principal(token secret: String, at stamp: FileStamp?) throws(AccessError) -> Principal? {
        if let known = cache.withLock({ c in c.stamp == stamp ? c.tokens[secret] : nil }) { return known }
        let hash = Self.digest(secret)
        let found = try read { db in
            try Row.fetchOne(db, sql: "SELECT name, role, book FROM tokens WHERE hash = ? AND revoked_us IS NULL", arguments: [hash]).flatMap { r in
                Role(rawValue: r[1]).map { Principal(kind: .token, name: r[0], role: $0, book: Self.book(r[2])) }
            }
        }
        remember(stamp) { $0.tokens[secret] = .some(found) }
        return found
    }

    /// Keeps what a read found, with the stamp the files had before it (a change since makes
    /// the next read look again); forgets everything kept under another stamp.
    private func remember(_ stamp: FileStamp?, _ update: (inout (stamp: FileStamp?, hasPrincipals: Bool?, tokens: [String: Principal?])) -> Void) {
        guard let stamp else { return }
        cache.withLock { c in
            if c.stamp != stamp { c = (stamp, nil, [:]) }
            if c.tokens.count > 10_000 { c.tokens = [:] }
            update(&c)
        }
    }

    /// Adds a local account (`replace`: sets the role, book and password of an existing one).
    /// Without a password the person signs in only through a trusted proxy.
    public func setUser(name: String, role: Role, book: [String], password: String?, now: Int64, replace: Bool = false) throws(AccessError) {
        try Self.checkName(name, "user")
        if let password { try Self.checkPassword(password) }
        let hash = password.map { Bcrypt.hash($0, cost: cost) } ?? ""
        try write { db in
            if !replace, try Bool.fetchOne(db, sql: "SELECT 1 FROM users WHERE name = ?", arguments: [name]) == true {
                throw AccessError("a user named \(name) exists already (`throughline users password \(name)` sets a new password)")
            }
            try db.execute(sql: "INSERT OR REPLACE INTO users (name, role, book, password, created_us) VALUES (?, ?, ?, ?, ?)",
                           arguments: [name, role.rawValue, book.joined(separator: "\n"), hash, now])
        }
    }

    /// Sets a new password for an existing account.
    public func setPassword(name: String, password: String) throws(AccessError) {
        try Self.checkPassword(password)
        let hash = Bcrypt.hash(password, cost: cost)
        let changed = try write { db in
            try db.execute(sql: "UPDATE users SET password = ? WHERE name = ?", arguments: [hash, name])
            return db.changesCount
        }
        if changed == 0 { throw AccessError("no user is named \(name) (see `throughline users list`)") }
    }

    /// Removes a local account; their sessions end at their next request.
    public func removeUser(_ name: String) throws(AccessError) {
        let changed = try write { db in
            try db.execute(sql: "DELETE FROM users WHERE name = ?", arguments: [name])
            return db.changesCount
        }
        if changed == 0 { throw AccessError("no user is named \(name) (see `throughline users list`)") }
    }

    public func users() throws(AccessError) -> [User] {
        try read { db in
            try Row.fetchAll(db, sql: "SELECT name, role, book, created_us FROM users ORDER BY name").map { r in
                User(name: r[0], role: Role(rawValue: r[1]) ?? .viewer, book: Self.book(r[2]), created: r[3])
            }
        }
    }

    /// The principal for a user name and password, or nil when either is wrong. Slow on
    /// purpose (bcrypt); an unknown name costs the same as a wrong password.
    public func signIn(name: String, password: String) throws(AccessError) -> Principal? {
        let row = try read { db in try Row.fetchOne(db, sql: "SELECT name, role, book, password FROM users WHERE name = ?", arguments: [name]) }
        guard let row else {
            _ = Bcrypt.verify(password, hash: Self.decoy)
            return nil
        }
        let hash: String = row[3]
        guard !hash.isEmpty else {
            _ = Bcrypt.verify(password, hash: Self.decoy)
            return nil
        }
        guard Bcrypt.verify(password, hash: hash), let role = Role(rawValue: row[1]) else { return nil }
        return Principal(kind: .user, name: row[0], role: role, book: Self.book(row[2]))
    }

    /// The account `name` as it is now (role and book may have changed since sign-in), or nil.
    public func user(_ name: String) throws(AccessError) -> Principal? {
        try read { db in
            try Row.fetchOne(db, sql: "SELECT name, role, book FROM users WHERE name = ?", arguments: [name]).flatMap { r in
                Role(rawValue: r[1]).map { Principal(kind: .user, name: r[0], role: $0, book: Self.book(r[2])) }
            }
        }
    }

    /// Whether any user or active token exists: from then on the TCP listener asks everyone to sign in.
    public func hasPrincipals() throws(AccessError) -> Bool {
        try hasPrincipals(at: FileStamp(path))
    }

    /// `hasPrincipals()`, with what was read kept under `stamp` (taken before).
    public func hasPrincipals(at stamp: FileStamp?) throws(AccessError) -> Bool {
        if let known = cache.withLock({ c in c.stamp == stamp ? c.hasPrincipals : nil }) { return known }
        let found = try read { db in
            try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM users) OR EXISTS (SELECT 1 FROM tokens WHERE revoked_us IS NULL)") ?? false
        }
        remember(stamp) { $0.hasPrincipals = found }
        return found
    }

    // MARK: - Helpers

    /// A hash nobody's password matches, verified against when the name is unknown.
    static let decoy = Bcrypt.hash(RandomText.hex(16), cost: 12)

    static func checkName(_ name: String, _ what: String) throws(AccessError) {
        guard !name.isEmpty, name.count <= 64, name.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value != 0x7F && $0 != ":" }) else {
            throw AccessError("\(what) name \"\(name)\": 1 to 64 characters, no spaces, control characters or ':'")
        }
    }

    static func checkPassword(_ password: String) throws(AccessError) {
        guard password.count >= 10 else { throw AccessError("the password is \(password.count) characters long; at least 10 are needed") }
        guard password.utf8.count <= 72 else { throw AccessError("the password is longer than bcrypt reads (72 bytes); use a shorter one") }
    }

    static func digest(_ secret: String) -> String {
        hexText(SHA256.hash(data: Array(secret.utf8)))
    }

    static func book(_ text: String) -> [String] { text.isEmpty ? [] : text.split(separator: "\n").map(String.init) }

    private func read<T>(_ body: (Database) throws -> T) throws(AccessError) -> T {
        do { return try pool.read(body) } catch let e as AccessError { throw e } catch { throw AccessError("the access store: \(error)") }
    }

    private func write<T>(_ body: (Database) throws -> T) throws(AccessError) -> T {
        do { return try pool.write(body) } catch let e as AccessError { throw e } catch { throw AccessError("the access store: \(error)") }
    }
}

extension Array {
    var nilIfEmpty: Self? { isEmpty ? nil : self }
}
