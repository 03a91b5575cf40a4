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
                    if try Int.fetchOne(db, sql: "SELECT count(*) FROM secret") == 0 {
                        try db.execute(sql: "INSERT INTO secret (value) VALUES (?)", arguments: [SymmetricKey(size: .bits256).withUnsafeBytes { Data($0) }])
                    }
                }
            }
            let (rows, tokens, secret, applied) = try queue.read { db in
                let owner = try db.columns(in: "keys").contains { $0.name == "owner" }
                let rows = try Row.fetchAll(db, sql: "SELECT number, subject, key\(owner ? ", owner" : "") FROM keys")
                let tokens = try db.tableExists("erased") ? try Row.fetchAll(db, sql: "SELECT number, token FROM erased") : []
                let secret = try db.tableExists("secret") ? try Data.fetchOne(db, sql: "SELECT value FROM secret") : nil
                let applied = try db.tableExists("applied") ? try Int64.fetchAll(db, sql: "SELECT seq FROM applied") : []
                return (rows, tokens, secret, applied)
            }
            self.secret = secret.map { SymmetricKey(data: $0) }
            keys.withLock { k in
                for r in rows {
                    let number = UInt64(bitPattern: r[0] as Int64), data: Data = r[2]
                    k.bySubject[r[1]] = number
                    k.byNumber[number] = SymmetricKey(data: data)
                    k.owner[number] = (r.count > 3 ? r[3] as String? : nil) ?? r[1]
                }
                for r in tokens { k.tokens[UInt64(bitPattern: r[0] as Int64)] = r[1] }
                k.applied = Set(applied.map { UInt64($0) })
            }
        } catch {
            throw StoreError(.io, "cannot open the key store \(path): \(error)")
        }
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
