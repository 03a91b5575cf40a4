import EventLog
import NIOCore
import PostgresNIO
import ThroughlineCore

/// The blocks of one partition of a log kept in PostgreSQL, read in chunks of `chunk` blocks
/// in seq order: what a `LogSnapshot` of that log reads through.
struct PostgresBlocks: BlockSource {
    let pool: LinkPool
    let part: Int32
    var chunk = 64

    func forEachBlock(from: UInt64, through: UInt64, _ body: (UInt64, Int64, [UInt8]) throws -> Bool) throws {
        try pool.with { link in
            // The block holding `from`: the last to start at or before it.
            var binds = PostgresBindings()
            binds.append(part)
            binds.append(Int64(from))
            var next = try link.rows("SELECT max(first_seq) FROM throughline_block WHERE part = $1 AND first_seq <= $2", binds) {
                try $0.decode(Int64?.self)
            }.first.flatMap { $0 } ?? Int64(from)
            while UInt64(next) <= through {
                var range = PostgresBindings()
                range.append(part)
                range.append(next)
                range.append(Int64(through))
                range.append(Int64(chunk))
                let blocks = try link.rows("""
                    SELECT first_seq, block FROM throughline_block WHERE part = $1 AND first_seq >= $2 AND first_seq <= $3
                    ORDER BY first_seq LIMIT $4
                    """, range) { try $0.decode((Int64, ByteBuffer).self) }
                for (first, bytes) in blocks {
                    let (header, records) = try Self.open(bytes) { reason in
                        StoreError(.corrupt, "\(pool.address): the block at seq \(first) of partition \(part) is damaged: \(reason). "
                                   + "Run `throughline verify --log` for the full list", offset: Int(first))
                    }
                    guard try body(UInt64(first), header.recordedMicros, records) else { return }
                    next = first + Int64(header.count)
                }
                if blocks.count < chunk { return }
            }
        }
    }

    /// A block as stored in a row, checked and decompressed; damage reported through `damaged`.
    static func open(_ bytes: ByteBuffer, damaged: (String) -> StoreError) throws(StoreError) -> (header: BlockHeader, records: [UInt8]) {
        try bytes.readableBytesView.withUnsafeBytes { (b) throws(StoreError) in try StoredBlock.open(b, damaged: damaged) }
    }
}
