import EventLog
import NIOCore
import PostgresNIO
import ThroughlineCore

/// The blocks of a log kept in PostgreSQL, a partition at a time in seq order: what a
/// `LogSnapshot` of that log reads through.
struct PostgresBlocks: BlockSource {
    let pool: LinkPool

    func storedBlocks(partition: Int, from: UInt64, through: UInt64, limit: Int) throws -> [LogSnapshot.StoredSourceBlock] {
        try pool.with { link in
            // From the block holding `from`: the last to start at or before it.
            var binds = Binds()
            binds.append(Int32(partition))
            binds.append(Int64(from))
            binds.append(Int64(through))
            binds.append(Int64(limit))
            return try link.preparedRows("""
                SELECT first_seq, block FROM throughline_block WHERE part = $1::integer
                  AND first_seq >= coalesce((SELECT max(first_seq) FROM throughline_block WHERE part = $1::integer AND first_seq <= $2::bigint), $2::bigint)
                  AND first_seq <= $3::bigint
                ORDER BY first_seq LIMIT $4::bigint
                """, binds) { (UInt64(try $0[0, as: Int64.self]), Array(try $0[1, as: ByteBuffer.self].readableBytesView)) }
        }
    }

    func damaged(partition: Int, firstSeq: UInt64, _ reason: String) -> StoreError {
        StoreError(.corrupt, "\(pool.address): the block at seq \(firstSeq) of partition \(partition) is damaged: \(reason). "
                   + "Run `throughline verify --log` for the full list", offset: Int(firstSeq))
    }

    /// A block as stored in a row, checked and decompressed; damage reported through `damaged`.
    static func open(_ bytes: ByteBuffer, damaged: (String) -> StoreError) throws(StoreError) -> (header: BlockHeader, records: [UInt8]) {
        try bytes.readableBytesView.withUnsafeBytes { (b) throws(StoreError) in try StoredBlock.open(b, damaged: damaged) }
    }
}
