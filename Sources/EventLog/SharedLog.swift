import ThroughlineCore

/// A log kept outside this process, which other nodes append to and read as well (PostgreSQL,
/// `--log postgres://…`): what `EventStore` needs of it to serve one node.
public protocol SharedLog: AnyObject, Sendable {
    /// Where the log is, for messages (no password).
    var name: String { get }
    /// Appends events whose personal values are sealed, in one transaction, and returns once it
    /// is committed: one outcome per event, in order (ids exactly-once across every node, within
    /// the partition of the event's account).
    /// `ahead`: the events framed into blocks in order (`BlockFramer.ahead`), which the log
    /// stores restamped when every event is new rather than framing them again.
    func append(_ events: EncodedBatch, ahead: [BlockFramer.Framed]?) throws(StoreError) -> [AppendOutcome]
    /// How the log is partitioned (fixed when it was made).
    var partitioning: Partitioning { get }
    /// The last committed event of each partition, read from the log now.
    func head() throws(StoreError) -> LogPosition
    /// A read view through `position`, known to be committed (with everything before it).
    func snapshot(through position: LogPosition) -> LogSnapshot
    /// Where this node keeps files of its own for the log (caches the log can make again),
    /// given before the first append by a node that has a data directory.
    func useDirectory(_ directory: String)
    /// The log's key store.
    func keyVault() throws(StoreError) -> any KeyVault
    /// Makes sure `wake` is called on each commit any node announces from now on (connecting a
    /// listener if none is live); cheap when one is.
    func listen(_ wake: @escaping @Sendable () -> Void) throws(StoreError)
    /// Closes every connection.
    func close()
}
