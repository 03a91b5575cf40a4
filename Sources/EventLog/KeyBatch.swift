import Crypto
import ThroughlineCore

/// The keys one batch of records is sealed with: each subject's held key, or a key made for
/// the batch when the subject has none. `Keyring` stores the keys a batch made together, in one
/// transaction, before any record sealed with them is returned (one durable write a batch: a
/// write per new subject cost four syncs of the key store each, more than the log's own).
final class KeyBatch: FieldKeys, @unchecked Sendable {  // used by one thread, for one batch
    let keyring: Keyring
    /// The keys made for this batch, by their subject's stored name.
    private var made: [String: (key: KeyringContents.Key, symmetric: SymmetricKey)] = [:]
    private var taken: Set<UInt64> = []

    init(_ keyring: Keyring) { self.keyring = keyring }

    func seal(_ plaintext: UnsafeRawBufferPointer, subject: SealSubject, id: String, field: String) throws -> (key: UInt64, sealed: [UInt8]) {
        let name = try keyring.storedName(subject)
        let (number, key) = try keyring.held(subject: name) ?? made[name].map { ($0.key.number, $0.symmetric) } ?? make(name, subject)
        return try Keyring.seal(plaintext, key: key, number: number, id: id, field: field)
    }

    private func make(_ name: String, _ subject: SealSubject) throws -> (UInt64, SymmetricKey) {
        let key = try keyring.newKey(subject: name, owner: subject.person == nil ? nil : subject.owner, taken: taken)
        let symmetric = SymmetricKey(data: key.key)
        made[name] = (key, symmetric)
        taken.insert(key.number)
        return (key.number, symmetric)
    }

    func open(_ sealed: UnsafeRawBufferPointer, key: UInt64, id: String, field: String) throws -> [UInt8]? {
        try keyring.open(sealed, key: key, id: id, field: field)
    }

    func erasedToken(key: UInt64) -> String? { keyring.erasedToken(key: key) }

    /// Stores the keys made for the batch; true when each is now its subject's key (false when
    /// another thread or node stored one for its subject first, or a forget destroyed it: then
    /// the batch is sealed again with the keys held now).
    func store() throws -> Bool {
        guard !made.isEmpty else { return true }
        return try keyring.store(made.values.map(\.key))
    }
}
