import Crypto
import Foundation
import Synchronization
import ThroughlineCore

/// The key store of a log (kept in a `KeyVault`: `keys.sqlite` beside segment files, or tables
/// beside a log in PostgreSQL), held in memory: one AES-256 key per data subject, made when the
/// subject's first personal value is appended: the account (or reference) an event is filed
/// under, for what people wrote; each email, id and handle naming a person within it, for who
/// they are (`SealSubject`). A person's subject is stored as a keyed hash (HMAC-SHA256 under a
/// secret of the store), so the key store names no one. Personal values are sealed with AES-GCM
/// under their subject's key, the nonce derived from the event's id and the member's name (an id
/// is stored once, so no nonce repeats under a key); forgetting a subject deletes its key, and
/// its values read as erased from then on, while the log still verifies and replays.
///
/// One instance per store in a process (`Keyring.open`), so that a forgotten key is gone for
/// every reader of the store at once.
public final class Keyring: FieldKeys, @unchecked Sendable {
    /// Where the keys are kept (`KeyVault`), and its name in messages.
    public let vault: any KeyVault
    public var path: String { vault.name }
    private var writable: Bool { vault.writable }
    fileprivate struct Keys {
        var bySubject: [String: UInt64] = [:]
        var byNumber: [UInt64: SymmetricKey] = [:]
        /// The key each key's subject is filed under (an account, or a reference's key).
        var owner: [UInt64: String] = [:]
        /// The tokens forgets gave destroyed keys (`ErasurePlan`).
        var tokens: [UInt64: String] = [:]
        /// The seqs of the `subject.forgotten` events applied.
        var applied: Set<UInt64> = []
        /// Numbers known not to be held: asked of a shared vault and not there (another store's
        /// keys), or destroyed here. None of them is ever held again.
        var absent: Set<UInt64> = []
    }
    /// The secret people's subjects are hashed with (nil in an older, read-only store), as an
    /// HMAC keyed with it once: each name copies it and hashes only its own bytes.
    private let secret: HMAC<SHA256>?
    private let keys = Mutex(Keys())
    private var users = 0

    /// The open key stores, by name, and how many users each has.
    private static let instances = Mutex<[String: Keyring]>([:])

    /// The key store of the store at `directory` (made if `writable` and missing; nil if
    /// read-only and missing), registered for opening records until `release`d as often.
    public static func open(directory: String, writable: Bool) throws -> Keyring? {
        let path = directory + "/keys.sqlite"
        guard writable || FileManager.default.fileExists(atPath: path) else { return nil }
        return try open(name: path, writable: writable) { try KeyFile(path: path, writable: writable) }
    }

    /// The key store kept in `vault`, registered under its name as `open(directory:)` does.
    public static func open(_ vault: any KeyVault) throws -> Keyring {
        try open(name: vault.name, writable: vault.writable) { vault }
    }

    /// The key store held in memory for a log kept elsewhere (its keys read from there),
    /// registered under `name` for opening records, as `open` does for a directory.
    public static func open(name: String, contents: KeyringContents) throws -> Keyring {
        try open(name: name, writable: false, replacing: true) { HeldKeys(name: name, contents: contents) }
    }

    /// The registered key store named `name`, or one made on `vault()`: one instance per store in
    /// a process, so that a forgotten key is gone for every reader of the store at once.
    private static func open(name: String, writable: Bool, replacing: Bool = false, _ vault: () throws -> any KeyVault) throws -> Keyring {
        try instances.withLock { (all) throws -> Keyring in
            if !replacing, let k = all[name], k.writable || !writable {
                k.users += 1
                return k
            }
            let k = try Keyring(vault: try vault())
            if let old = all[name] { SealedRecord.unregister(old) }
            all[name] = k
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

    private init(vault: any KeyVault) throws {
        self.vault = vault
        let contents = try vault.contents()
        secret = contents.secret.map { HMAC<SHA256>(key: SymmetricKey(data: $0)) }
        keys.withLock { $0 = Self.keys(contents) }
    }

    /// The keys of `contents`, as held in memory.
    private static func keys(_ contents: KeyringContents) -> Keys {
        var k = Keys()
        for key in contents.keys { k.hold(key) }
        k.tokens = contents.erased
        k.applied = Set(contents.applied)
        return k
    }

    /// Reads a shared vault afresh (keys other nodes made or destroyed): before a forget is
    /// planned, so that it destroys every key of its subject wherever it was made.
    public func refresh() throws {
        guard vault.shared else { return }
        let contents = try vault.contents()
        keys.withLock { k in
            let absent = k.absent
            k = Self.keys(contents)
            k.absent = absent.filter { k.byNumber[$0] == nil }
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
        try sealing { keys in try keys.seal(plaintext, subject: subject, id: id, field: field) }
    }

    /// `plaintext` sealed under `key` (numbered `number`) with the nonce of `field` of `id`.
    static func seal(_ plaintext: UnsafeRawBufferPointer, key: SymmetricKey, number: UInt64, id: String, field: String) throws -> (key: UInt64, sealed: [UInt8]) {
        let box = try AES.GCM.seal(plaintext, using: key, nonce: nonce(id: id, field: field))
        // The box holds nonce, ciphertext and tag in one buffer: one copy of the last two, not a
        // slice of each copied through the generic path.
        guard let combined = box.combined else { throw StoreError(.invalid, "AES-GCM gave no combined form for a 12-byte nonce") }
        return (number, combined.withUnsafeBytes { Array($0.dropFirst(nonceBytes)) })
    }

    public func open(_ sealed: UnsafeRawBufferPointer, key number: UInt64, id: String, field: String) throws -> [UInt8]? {
        guard let key = try held(number) else { return nil }
        guard sealed.count >= 16 else { throw StoreError(.corrupt, "a sealed value of \(id) is shorter than its tag") }
        do {
            // The box made from one buffer (nonce, ciphertext, tag), as it keeps them: a third
            // cheaper than from the three parts, which it copies into such a buffer one by one.
            var combined = [UInt8]()
            combined.reserveCapacity(Self.nonceBytes + sealed.count)
            Self.nonceDigest(id: id, field: field).withUnsafeBytes { combined.append(contentsOf: $0.prefix(Self.nonceBytes)) }
            combined.append(contentsOf: sealed)
            return try AES.GCM.open(AES.GCM.SealedBox(combined: combined), using: key).withUnsafeBytes { Array($0) }
        } catch {
            throw StoreError(.corrupt, "the sealed \(field) of \(id) does not open with its key: the record is damaged")
        }
    }

    /// Key `number`: held in memory, or (in a shared vault) made by another node and looked up once.
    private func held(_ number: UInt64) throws -> SymmetricKey? {
        let known = keys.withLock { k -> (SymmetricKey?, Bool) in
            if let key = k.byNumber[number] { return (key, true) }
            return (nil, k.tokens[number] != nil || k.absent.contains(number))
        }
        if known.1 || !vault.shared { return known.0 }
        let (found, token) = try vault.find(number)
        return keys.withLock { k in
            // A key destroyed while it was looked up stays destroyed.
            guard !k.absent.contains(number), k.tokens[number] == nil else { return nil }
            if let found { k.hold(found) } else if let token { k.tokens[number] = token } else { k.absent.insert(number) }
            return k.byNumber[number]
        }
    }

    public func erasedToken(key number: UInt64) -> String? {
        keys.withLock { $0.tokens[number] }
    }

    /// Whether the `subject.forgotten` at `seq` was applied (its keys destroyed).
    public func applied(_ seq: UInt64) -> Bool {
        keys.withLock { $0.applied.contains(seq) }
    }

    /// Applies the `subject.forgotten` at `seq`: destroys the keys `numbers` (deleted, and
    /// overwritten where the vault is a file), keeping for each in `tokens` what its values read
    /// as from now on, and records the forget as applied, in one transaction. Returns how many
    /// keys there were.
    @discardableResult
    public func destroy(_ numbers: some Sequence<UInt64>, tokens: [UInt64: String] = [:], applying seq: UInt64) throws -> Int {
        try keys.withLock { k in
            let numbers = Set(numbers).filter { k.byNumber[$0] != nil }
            try vault.destroy(numbers, tokens: tokens.filter { numbers.contains($0.key) }, applying: seq)
            k.bySubject = k.bySubject.filter { !numbers.contains($0.value) }
            for n in numbers {
                (k.byNumber[n], k.owner[n]) = (nil, nil)
                if let t = tokens[n] { k.tokens[n] = t } else { k.absent.insert(n) }
            }
            k.applied.insert(seq)
            return numbers.count
        }
    }

    /// How a subject is named in the store: an account's key by the account; a person's by
    /// `p:` and a keyed hash of its owner and identifier.
    func storedName(_ subject: SealSubject) throws -> String {
        guard let person = subject.person else { return subject.owner }
        guard var mac = secret else { throw StoreError(.io, "the key store \(path) has no secret: open it writable once") }
        mac.update(data: Array((subject.owner + "\u{0}" + person).utf8))
        return mac.finalize().withUnsafeBytes { "p:" + hexText(UnsafeRawBufferPointer(rebasing: $0.prefix(16))) }
    }

    /// Runs `work` with the keys of a `KeyBatch` and stores the keys it made, durably, before
    /// anything sealed with them is returned; again, with the keys held then, when another
    /// thread or node stored a key for one of the subjects first (or a forget destroyed one).
    private func sealing<T>(_ work: (KeyBatch) throws -> T) throws -> T {
        for _ in 0..<8 {
            let batch = KeyBatch(self)
            let result = try work(batch)
            if try batch.store() { return result }
        }
        throw StoreError(.io, "the key store \(path) keeps answering with a destroyed key for one subject")
    }

    /// The key held for the subject stored as `name`.
    func held(subject name: String) -> (UInt64, SymmetricKey)? {
        keys.withLock { k in k.bySubject[name].flatMap { n in k.byNumber[n].map { (n, $0) } } }
    }

    /// A new key for the subject stored as `name` (filed under `owner`, for a person), numbered
    /// unlike every key held or destroyed and those in `taken`; not stored yet.
    func newKey(subject name: String, owner: String?, taken: Set<UInt64>) throws -> KeyringContents.Key {
        guard writable else { throw StoreError(.io, "the key store \(path) is open read-only") }
        return keys.withLock { k in
            var number: UInt64
            repeat { number = UInt64.random(in: 1...UInt64(Int64.max)) }
            while k.byNumber[number] != nil || k.tokens[number] != nil || k.absent.contains(number) || taken.contains(number)
            return KeyringContents.Key(number: number, subject: name, key: SymmetricKey(size: .bits256).withUnsafeBytes { Array($0) }, owner: owner)
        }
    }

    /// Stores `made` in the vault (outside the lock: a round trip to a database, for a shared
    /// one, so sealing for other subjects goes on meanwhile) and holds what it stored, unless a
    /// forget destroyed it meanwhile; true when each of `made` is now its subject's key.
    func store(_ made: [KeyringContents.Key]) throws -> Bool {
        let stored = try vault.add(made)
        return keys.withLock { k in
            var all = true
            for (key, s) in zip(made, stored) {
                if k.bySubject[s.subject] == nil, !k.absent.contains(s.number) { k.hold(s) }
                if k.bySubject[key.subject] != key.number { all = false }
            }
            return all
        }
    }

    /// The nonce of member `field` of event `id`: the first 12 bytes of their SHA-256.
    static func nonce(id: String, field: String) throws -> AES.GCM.Nonce {
        try nonceDigest(id: id, field: field).withUnsafeBytes { try AES.GCM.Nonce(data: UnsafeRawBufferPointer(rebasing: $0.prefix(nonceBytes))) }
    }

    static let nonceBytes = 12

    private static func nonceDigest(id: String, field: String) -> SHA256.Digest {
        var h = SHA256(), id = id, field = field
        id.withUTF8 { h.update(bufferPointer: UnsafeRawBufferPointer($0)) }
        withUnsafeBytes(of: UInt8(0)) { h.update(bufferPointer: $0) }
        field.withUTF8 { h.update(bufferPointer: UnsafeRawBufferPointer($0)) }
        return h.finalize()
    }

    // MARK: Moving a key store

    /// Everything the key store holds, as `copy` moves it.
    public func contents() throws -> KeyringContents { try vault.contents() }

    /// Makes the key store of the store at `directory` from `contents`; one with keys there
    /// already is refused.
    public static func create(directory: String, with contents: KeyringContents) throws {
        try KeyFile(path: directory + "/keys.sqlite", writable: true).fill(contents)
    }

    /// The batch with the personal values of its records sealed; the keys made for its new
    /// subjects are stored together, in one transaction.
    public func seal(_ batch: EncodedBatch) throws -> EncodedBatch {
        try sealing { keys in try Self.seal(batch, with: keys) }
    }

    private static func seal(_ batch: EncodedBatch, with keys: KeyBatch) throws -> EncodedBatch {
        var out: EncodedBatch?
        for i in 0..<batch.count {
            let sealed = try batch.bytes.withUnsafeBytes { b in try SealedRecord.seal(UnsafeRawBufferPointer(rebasing: b[batch.range(i)]), with: keys) }
            if sealed != nil, out == nil {
                out = EncodedBatch()
                for j in 0..<i { out!.append(EncodedEvent(body: Array(batch.body(j)), idHash: batch.hashes[j])) }
            }
            if out != nil { out!.append(EncodedEvent(body: sealed ?? Array(batch.body(i)), idHash: batch.hashes[i])) }
        }
        return out ?? batch
    }
}

private extension Keyring.Keys {
    /// Holds `key` in memory.
    mutating func hold(_ key: KeyringContents.Key) {
        bySubject[key.subject] = key.number
        byNumber[key.number] = SymmetricKey(data: key.key)
        owner[key.number] = key.owner ?? key.subject
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
