/// Where a key store keeps its keys durably: `keys.sqlite` beside segment files (`KeyFile`),
/// tables beside a log kept in PostgreSQL, or contents held in memory (`HeldKeys`). `Keyring`
/// holds the keys in memory and asks its vault only to store, destroy and find them.
public protocol KeyVault: Sendable {
    /// Where the keys are, for messages.
    var name: String { get }
    var writable: Bool { get }
    /// True when other processes add and destroy keys in it too (nodes sharing a log): a key
    /// not held in memory is looked for there, and forgets read it afresh.
    var shared: Bool { get }
    /// Everything the vault holds.
    func contents() throws -> KeyringContents
    /// Stores `keys` durably, in one transaction, each unless its subject has a key already;
    /// returns each subject's stored key, in order (the one given, or the one another process
    /// stored first).
    func add(_ keys: [KeyringContents.Key]) throws -> [KeyringContents.Key]
    /// Deletes the keys `numbers`, keeps for each in `tokens` what its values read as, and
    /// records the forget at `seq` as applied, in one transaction.
    func destroy(_ numbers: Set<UInt64>, tokens: [UInt64: String], applying seq: UInt64) throws
    /// The stored key numbered `number`, or the token it was erased with (for a shared vault).
    func find(_ number: UInt64) throws -> (key: KeyringContents.Key?, token: String?)
}

/// A key store's contents held in memory, read-only: the keys of a log kept elsewhere, read
/// from there once (`dump`, `replay` and the rest).
public struct HeldKeys: KeyVault {
    public let name: String
    let held: KeyringContents
    public var writable: Bool { false }
    public var shared: Bool { false }

    public init(name: String, contents: KeyringContents) {
        self.name = name
        held = contents
    }

    public func contents() throws -> KeyringContents { held }
    public func add(_ keys: [KeyringContents.Key]) throws -> [KeyringContents.Key] { throw StoreError(.io, "the keys of \(name) are held read-only") }
    public func destroy(_ numbers: Set<UInt64>, tokens: [UInt64: String], applying seq: UInt64) throws {
        throw StoreError(.io, "the keys of \(name) are held read-only")
    }
    public func find(_ number: UInt64) throws -> (key: KeyringContents.Key?, token: String?) { (nil, nil) }
}
