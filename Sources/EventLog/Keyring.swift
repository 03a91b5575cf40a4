import Crypto
import Foundation
import GRDB
import Synchronization
import ThroughlineCore

/// The key store beside the log (`keys.sqlite`): one AES-256 key per data subject (the account,
/// or reference, an event is filed under), made when the subject's first personal value is
/// appended. Personal values are sealed with AES-GCM under their subject's key, the nonce
/// derived from the event's id and the member's name (an id is stored once, so no nonce repeats
/// under a key); forgetting a subject deletes its key, and its values read as erased from then
/// on, while the log still verifies and replays.
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
    }
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
                    try db.execute(sql: "CREATE TABLE IF NOT EXISTS keys (number INTEGER PRIMARY KEY, subject TEXT NOT NULL UNIQUE, key BLOB NOT NULL)")
                }
            }
            let rows = try queue.read { db in try Row.fetchAll(db, sql: "SELECT number, subject, key FROM keys") }
            keys.withLock { k in
                for r in rows {
                    let number = UInt64(bitPattern: r[0] as Int64), data: Data = r[2]
                    k.bySubject[r[1]] = number
                    k.byNumber[number] = SymmetricKey(data: data)
                }
            }
        } catch {
            throw StoreError(.io, "cannot open the key store \(path): \(error)")
        }
    }

    /// The subjects that have a key.
    public var subjects: [String] { keys.withLock { Array($0.bySubject.keys) } }

    public func seal(_ plaintext: UnsafeRawBufferPointer, subject: String, id: String, field: String) throws -> (key: UInt64, sealed: [UInt8]) {
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

    /// Destroys the keys of `subjects` (deleted and overwritten in the file): every value sealed
    /// under them reads as erased from now on. Returns how many there were.
    @discardableResult
    public func forget(_ subjects: [String]) throws -> Int {
        try keys.withLock { k in
            let numbers = subjects.compactMap { k.bySubject[$0] }
            guard !numbers.isEmpty else { return 0 }
            do {
                // `secure_delete` overwrites the deleted rows in the file itself.
                try queue.write { db in
                    for n in numbers { try db.execute(sql: "DELETE FROM keys WHERE number = ?", arguments: [Int64(bitPattern: n)]) }
                }
            } catch {
                throw StoreError(.io, "cannot destroy keys in \(path): \(error)")
            }
            for s in subjects { k.bySubject[s] = nil }
            for n in numbers { k.byNumber[n] = nil }
            return numbers.count
        }
    }

    /// The subject's key, made (and stored durably, before anything is sealed with it) if it has none.
    private func key(of subject: String) throws -> (UInt64, SymmetricKey) {
        try keys.withLock { k in
            if let n = k.bySubject[subject], let key = k.byNumber[n] { return (n, key) }
            guard writable else { throw StoreError(.io, "the key store \(path) is open read-only") }
            let key = SymmetricKey(size: .bits256)
            var number: UInt64
            repeat { number = UInt64.random(in: 1...UInt64(Int64.max)) } while k.byNumber[number] != nil
            let chosen = number
            do {
                try queue.write { db in
                    try db.execute(sql: "INSERT INTO keys (number, subject, key) VALUES (?, ?, ?)",
                                   arguments: [Int64(bitPattern: chosen), subject, key.withUnsafeBytes { Data($0) }])
                }
            } catch {
                throw StoreError(.io, "cannot store a key in \(path): \(error)")
            }
            k.bySubject[subject] = chosen
            k.byNumber[chosen] = key
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
