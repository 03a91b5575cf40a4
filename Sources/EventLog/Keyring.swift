import Crypto
import Foundation
import GRDB
import Synchronization
import ThroughlineCore

/// The key store beside the log (`keys.sqlite`): one AES-256 key per data subject, made when the
/// subject's first personal value is appended: the account (or reference) an event is filed
/// under, for what people wrote; each email, id and handle naming a person within it, for who
/// they are (`SealSubject`). A person's subject is stored as a keyed hash (HMAC-SHA256 under a
/// secret of the store), so the key store names no one. Personal values are sealed with AES-GCM
/// under their subject's key, the nonce derived from the event's id and the member's name (an id
/// is stored once, so no nonce repeats under a key); forgetting a subject deletes its key, and
/// its values read as erased from then on, while the log still verifies and replays.
///
/// One instance per store directory in a process (`Keyring.open`), so that a forgotten key is
/// gone for every reader of the store at once.
public final class Keyring: FieldKeys, @unchecked Sendable {
    public let path: String
    private let queue: DatabaseQueue
    private let writable: Bool
    private struct Keys {
        var bySubject: [String: UInt64] = [:]
        var byNumber: [UInt64: SymmetricKey] = [:]
        /// The key each key's subject is filed under (an account, or a reference's key).
        var owner: [UInt64: String] = [:]
        /// The tokens forgets gave destroyed keys (`ErasurePlan`).
        var tokens: [UInt64: String] = [:]
        /// The seqs of the `subject.forgotten` events applied.
        var applied: Set<UInt64> = []
    }
    /// The secret people's subjects are hashed with (nil in an older, read-only store).
    private let secret: SymmetricKey?
    private let keys = Mutex(Keys())
    private var users = 0

    /// The open key stores, by directory, and how many users each has.
    private static let instances = Mutex<[String: Keyring]>([:])

    /// The key store of the store at `directory` (made if `writable` and missing; nil if
    /// read-only and missing), registered for opening records until `release`d as often.
    public static func open(directory: String, writable: Bool) throws -> Keyring? {
        let path = directory + "/keys.sqlite"
        return try instances.withLock { (all) throws -> Keyring? in
            if let k = all[path], k.writable || !writable {
                k.users += 1
                return k
            }
            guard writable || FileManager.default.fileExists(atPath: path) else { return nil }
            let k = try Keyring(path: path, writable: writable)
            if let old = all[path] { SealedRecord.unregister(old) }
            all[path] = k
            k.users = 1
            SealedRecord.register(k)
            return k
        }
    }

    /// Gives back one use; the last stops opening records with this store's keys.
    public func release() {
        Self.instances.withLock { all in
            users -= 1
            if users <= 0, all[path] === self {
                all[path] = nil
                SealedRecord.unregister(self)
            }
        }
    }

    private init(path: String, writable: Bool) throws {
        self.path = path
        self.writable = writable
        var config = Configuration()
        config.readonly = !writable
        config.busyMode = .timeout(5)
        // A deleted key is overwritten in the file, and the rollback journal (not a WAL, which
        // would keep old pages until a checkpoint) is deleted once each change commits.
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
            let (secret, loaded) = try Self.load(queue)
            self.secret = secret
            keys.withLock { $0 = loaded }
        } catch {
            throw StoreError(.io, "cannot open the key store \(path): \(error)")
        }
    }

    /// A read-only key store held in memory, named `name` (a log kept elsewhere, whose keys
    /// were read from there).
    private init(name: String, contents: KeyringContents) throws {
        path = name
        writable = false
        do {
            queue = try DatabaseQueue()
            try queue.write { db in
                try Self.prepare(db)
                try Self.insert(contents, into: db)
            }
            let (secret, loaded) = try Self.load(queue)
            self.secret = secret
            keys.withLock { $0 = loaded }
        } catch {
            throw StoreError(.io, "cannot hold the keys of \(name): \(error)")
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

    /// Every key, and the secret.
    private static func load(_ queue: DatabaseQueue) throws -> (SymmetricKey?, Keys) {
        let contents = try queue.read { db in try Self.contents(db) }
        var k = Keys()
        for key in contents.keys {
            k.bySubject[key.subject] = key.number
            k.byNumber[key.number] = SymmetricKey(data: key.key)
            k.owner[key.number] = key.owner ?? key.subject
        }
        k.tokens = contents.erased
        k.applied = Set(contents.applied)
        return (contents.secret.map { SymmetricKey(data: $0) }, k)
    }

    /// The keys subjects are filed under: accounts, and references' keys.
    public var owners: Set<String> { keys.withLock { Set($0.owner.values) } }

    /// The numbers of the keys filed under an owner that `owned` accepts.
    public func numbers(ownedBy owned: (String) -> Bool) -> [UInt64] {
        keys.withLock { k in k.owner.compactMap { owned($0.value) ? $0.key : nil } }
    }

    /// The number of `subject`'s key, if it has one.
    public func number(of subject: SealSubject) -> UInt64? {
        guard let name = try? storedName(subject) else { return nil }
        return keys.withLock { $0.bySubject[name] }
    }

    public func seal(_ plaintext: UnsafeRawBufferPointer, subject: SealSubject, id: String, field: String) throws -> (key: UInt64, sealed: [UInt8]) {
        let (number, key) = try key(of: subject)
        let box = try AES.GCM.seal(plaintext, using: key, nonce: Self.nonce(id: id, field: field))
        return (number, Array(box.ciphertext) + Array(box.tag))
    }

    public func open(_ sealed: UnsafeRawBufferPointer, key number: UInt64, id: String, field: String) throws -> [UInt8]? {
        guard let key = keys.withLock({ $0.byNumber[number] }) else { return nil }
        guard sealed.count >= 16 else { throw StoreError(.corrupt, "a sealed value of \(id) is shorter than its tag") }
        do {
            let box = try AES.GCM.SealedBox(nonce: Self.nonce(id: id, field: field), ciphertext: sealed.dropLast(16), tag: sealed.suffix(16))
            return Array(try AES.GCM.open(box, using: key))
        } catch {
            throw StoreError(.corrupt, "the sealed \(field) of \(id) does not open with its key: the record is damaged")
        }
    }

    public func erasedToken(key number: UInt64) -> String? {
        keys.withLock { $0.tokens[number] }
    }

    /// Whether the `subject.forgotten` at `seq` was applied (its keys destroyed).
    public func applied(_ seq: UInt64) -> Bool {
        keys.withLock { $0.applied.contains(seq) }
    }

    /// Applies the `subject.forgotten` at `seq`: destroys the keys `numbers` (deleted and
    /// overwritten in the file), keeping for each in `tokens` what its values read as from now
    /// on, and records the forget as applied, in one transaction. Returns how many keys there were.
    @discardableResult
    public func destroy(_ numbers: some Sequence<UInt64>, tokens: [UInt64: String] = [:], applying seq: UInt64) throws -> Int {
        try keys.withLock { k in
            let numbers = Set(numbers).filter { k.byNumber[$0] != nil }
            do {
                // `secure_delete` overwrites the deleted rows in the file itself.
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
                throw StoreError(.io, "cannot destroy keys in \(path): \(error)")
            }
            k.bySubject = k.bySubject.filter { !numbers.contains($0.value) }
            for n in numbers {
                (k.byNumber[n], k.owner[n]) = (nil, nil)
                if let t = tokens[n] { k.tokens[n] = t }
            }
            k.applied.insert(seq)
            return numbers.count
        }
    }

    /// How a subject is named in the store: an account's key by the account; a person's by
    /// `p:` and a keyed hash of its owner and identifier.
    private func storedName(_ subject: SealSubject) throws -> String {
        guard let person = subject.person else { return subject.owner }
        guard let secret else { throw StoreError(.io, "the key store \(path) has no secret: open it writable once") }
        let mac = HMAC<SHA256>.authenticationCode(for: Array((subject.owner + "\u{0}" + person).utf8), using: secret)
        return "p:" + mac.prefix(16).map { String(format: "%02x", $0) }.joined()
    }

    /// The subject's key, made (and stored durably, before anything is sealed with it) if it has none.
    private func key(of subject: SealSubject) throws -> (UInt64, SymmetricKey) {
        let name = try storedName(subject)
        return try keys.withLock { k in
            if let n = k.bySubject[name], let key = k.byNumber[n] { return (n, key) }
            guard writable else { throw StoreError(.io, "the key store \(path) is open read-only") }
            let key = SymmetricKey(size: .bits256)
            var number: UInt64
            repeat { number = UInt64.random(in: 1...UInt64(Int64.max)) } while k.byNumber[number] != nil || k.tokens[number] != nil
            let chosen = number
            do {
                try queue.write { db in
                    try db.execute(sql: "INSERT INTO keys (number, subject, key, owner) VALUES (?, ?, ?, ?)",
                                   arguments: [Int64(bitPattern: chosen), name, key.withUnsafeBytes { Data($0) },
                                               subject.person == nil ? nil : subject.owner])
                }
            } catch {
                throw StoreError(.io, "cannot store a key in \(path): \(error)")
            }
            k.bySubject[name] = chosen
            k.byNumber[chosen] = key
            k.owner[chosen] = subject.owner
            return (chosen, key)
        }
    }

    /// The nonce of member `field` of event `id`: the first 12 bytes of their SHA-256.
    static func nonce(id: String, field: String) throws -> AES.GCM.Nonce {
        var h = SHA256()
        h.update(data: Array(id.utf8) + [0] + Array(field.utf8))
        return try AES.GCM.Nonce(data: Array(h.finalize()).prefix(12))
    }

    // MARK: Moving a key store

    /// Everything the key store holds, as `copy` moves it.
    public func contents() throws -> KeyringContents {
        do { return try queue.read { db in try Self.contents(db) } } catch {
            throw StoreError(.io, "cannot read the key store \(path): \(error)")
        }
    }

    /// Makes the key store of the store at `directory` from `contents`; one with keys there
    /// already is refused.
    public static func create(directory: String, with contents: KeyringContents) throws {
        let k = try Keyring(path: directory + "/keys.sqlite", writable: true)
        do {
            try k.queue.write { db in
                guard try Int.fetchOne(db, sql: "SELECT count(*) FROM keys") == 0 else {
                    throw StoreError(.invalid, "\(k.path) holds keys already; copy only into a new store")
                }
                try db.execute(sql: "DELETE FROM secret")
                try insert(contents, into: db)
            }
        } catch let e as StoreError { throw e } catch {
            throw StoreError(.io, "cannot write the key store \(k.path): \(error)")
        }
    }

    /// The key store held in memory for a log kept elsewhere (its keys read from there),
    /// registered under `name` for opening records, as `open` does for a directory.
    public static func open(name: String, contents: KeyringContents) throws -> Keyring {
        let k = try Keyring(name: name, contents: contents)
        instances.withLock { all in
            if let old = all[name] { SealedRecord.unregister(old) }
            all[name] = k
            k.users = 1
            SealedRecord.register(k)
        }
        return k
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

    private static func insert(_ c: KeyringContents, into db: Database) throws {
        for k in c.keys {
            try db.execute(sql: "INSERT INTO keys (number, subject, key, owner) VALUES (?, ?, ?, ?)",
                           arguments: [Int64(bitPattern: k.number), k.subject, Data(k.key), k.owner])
        }
        for (n, t) in c.erased { try db.execute(sql: "INSERT INTO erased (number, token) VALUES (?, ?)", arguments: [Int64(bitPattern: n), t]) }
        if let secret = c.secret { try db.execute(sql: "INSERT INTO secret (value) VALUES (?)", arguments: [Data(secret)]) }
        for seq in c.applied { try db.execute(sql: "INSERT INTO applied (seq) VALUES (?)", arguments: [Int64(seq)]) }
    }

    /// The batch with the personal values of its records sealed.
    public func seal(_ batch: EncodedBatch) throws -> EncodedBatch {
        var out: EncodedBatch?
        for i in 0..<batch.count {
            let sealed = try batch.bytes.withUnsafeBytes { b in try SealedRecord.seal(UnsafeRawBufferPointer(rebasing: b[batch.range(i)]), with: self) }
            if let sealed, out == nil {
                out = EncodedBatch()
                for j in 0..<i { out!.append(EncodedEvent(body: Array(batch.body(j)), idHash: batch.hashes[j])) }
            }
            if out != nil { out!.append(EncodedEvent(body: sealed ?? Array(batch.body(i)), idHash: batch.hashes[i])) }
        }
        return out ?? batch
    }
}

/// Everything a key store holds: its keys, what erased keys read as, the secret people's
/// subjects are hashed with, and the forgets applied.
public struct KeyringContents: Sendable, Equatable {
    public struct Key: Sendable, Equatable {
        public var number: UInt64
        public var subject: String
        public var key: [UInt8]
        /// The account a person's key is filed under (nil for an account's own key).
        public var owner: String?
        public init(number: UInt64, subject: String, key: [UInt8], owner: String?) {
            (self.number, self.subject, self.key, self.owner) = (number, subject, key, owner)
        }
    }
    public var keys: [Key] = []
    public var erased: [UInt64: String] = [:]
    public var secret: [UInt8]?
    public var applied: [UInt64] = []
    public init() {}
}
