import ThroughlineCore

/// A log kept outside this process, which other nodes append to and read as well (PostgreSQL,
/// `--log postgres://…`): what `EventStore` needs of it to serve one node.
public protocol SharedLog: AnyObject, Sendable {
    /// Where the log is, for messages (no password).
    var name: String { get }
    /// Appends events whose personal values are sealed, in one transaction, and returns once it
    /// is committed: one outcome per event, in order (ids exactly-once across every node).
    func append(_ events: EncodedBatch) throws(StoreError) -> [AppendOutcome]
    /// The last committed seq, read from the log now.
    func lastSeq() throws(StoreError) -> UInt64
    /// A read view through `lastSeq`, a seq known to be committed (with every lower one).
    func snapshot(through lastSeq: UInt64) -> LogSnapshot
    /// The log's key store.
    func keyVault() throws(StoreError) -> any KeyVault
    /// Makes sure `wake` is called on each commit any node announces from now on (connecting a
    /// listener if none is live); cheap when one is.
    func listen(_ wake: @escaping @Sendable () -> Void) throws(StoreError)
    /// Closes every connection.
    func close()
}
