import EventLog
import NIOCore
import PostgresNIO
import ThroughlineCore

/// The stored events whose id hashes match some of a batch's, found through the GIN index on
/// the blocks' hashes, and their bodies, read only when asked for (a match is rare: a retry).
struct StoredIds {
    private let link: PostgresLink
    private let part: Int32
    /// The hashes looked for.
    private let wanted: Set<UInt64>
    /// Each matching hash's seqs.
    private var seqs: [UInt64: Set<UInt64>] = [:]

    /// Finds the stored events matching `hashes` through the GIN index; called inside the
    /// append's transaction, before it takes the head's lock (`including(after:)` then adds what
    /// other nodes committed meanwhile).
    init(_ link: PostgresLink, part: Int32, hashes: [UInt64]) throws(StoreError) {
        self.link = link
        self.part = part
        wanted = Set(hashes)
        guard !hashes.isEmpty else { return }
        // Through the GIN index, always: the planner, seeing few rows, would otherwise read every
        // block's hashes out of TOAST and compare them with the batch's pair by pair (a scan of
        // the whole log per append), or take the primary key for `part` and do the same. Hence no
        // sequential scan, and `part + 0`, which no index serves.
        try link.run("SET LOCAL enable_seqscan = off")
        var binds = PostgresBindings()
        binds.append(part)
        binds.append(hashes.map { Int64(bitPattern: $0) })
        try add("SELECT first_seq, ids FROM throughline_block WHERE ids && $2 AND part + 0 = $1", binds)
    }

    /// Adds the matches among the blocks committed after seq `seq` (by other nodes, between the
    /// look-up and the lock), read by their keys: a few blocks at most.
    mutating func including(after seq: UInt64) throws(StoreError) {
        guard !wanted.isEmpty else { return }
        var binds = PostgresBindings()
        binds.append(part)
        binds.append(Int64(seq))
        try add("SELECT first_seq, ids FROM throughline_block WHERE part = $1 AND first_seq > $2", binds)
    }

    /// Notes the wanted hashes among the blocks `sql` selects (their first seqs and hashes).
    private mutating func add(_ sql: String, _ binds: PostgresBindings) throws(StoreError) {
        for (first, ids) in try link.rows(sql, binds, { try $0.decode((Int64, [Int64]).self) }) {
            for (k, id) in ids.enumerated() where wanted.contains(UInt64(bitPattern: id)) {
                seqs[UInt64(bitPattern: id), default: []].insert(UInt64(first) + UInt64(k))
            }
        }
    }

    /// The first stored event with `hash` whose id is `body`'s, with its body.
    func first(hash: UInt64, sameIdAs body: ArraySlice<UInt8>) throws(StoreError) -> (seq: UInt64, body: ArraySlice<UInt8>)? {
        for seq in (seqs[hash] ?? []).sorted() {
            let stored = try record(seq)
            if RecordCodec.sameID(body, stored) { return (seq, stored) }
        }
        return nil
    }

    private func record(_ seq: UInt64) throws(StoreError) -> ArraySlice<UInt8> {
        var binds = PostgresBindings()
        binds.append(part)
        binds.append(Int64(seq))
        let (first, bytes) = try link.one("""
            SELECT first_seq, block FROM throughline_block WHERE part = $1 AND first_seq <= $2 ORDER BY first_seq DESC LIMIT 1
            """, binds) { try $0.decode((Int64, ByteBuffer).self) }
        let damaged = { (reason: String) in StoreError(.corrupt, "\(link.address): the block at seq \(first) is damaged: \(reason)") }
        let records = try PostgresBlocks.open(bytes, damaged: damaged).records
        let bodies: [ArraySlice<UInt8>]
        do { bodies = try StoredBlock.bodies(records) } catch { throw damaged("records do not decode: \(error)") }
        let k = Int(seq - UInt64(first))
        guard k < bodies.count else { throw damaged("it holds \(bodies.count) records, not seq \(seq)") }
        return bodies[k]
    }
}
