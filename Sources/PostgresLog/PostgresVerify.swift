import EventLog
import NIOCore
import PostgresNIO
import ThroughlineCore

extension PostgresEventLog {
    /// One partition's figures, as `verify` prints them.
    public struct PartitionReport: Sendable {
        public var partition: Int
        public var blocks = 0
        public var events = 0
        public var firstSeq: UInt64?
        public var lastSeq: UInt64?
        /// Bytes of the stored blocks.
        public var bytes = 0
    }

    /// Reads every block: header, CRC-32C, seq continuity, LZ4 payload, every record, the id
    /// hashes kept beside it, and the partition's head. Throws a `StoreError(.corrupt)` naming
    /// the partition and seq of the first damage.
    public func verify() throws(StoreError) -> [PartitionReport] {
        try pool.withStore { link throws(StoreError) in
            var reports: [PartitionReport] = []
            for part in 0..<Int32(partitions) {
                var rep = PartitionReport(partition: Int(part))
                var expected: UInt64 = 1
                while true {
                    var binds = Binds()
                    binds.append(part)
                    binds.append(Int64(expected))
                    let rows = try link.rows("""
                        SELECT first_seq, last_seq, ids, block FROM throughline_block WHERE part = $1 AND first_seq >= $2 ORDER BY first_seq LIMIT 256
                        """, binds) { try $0.decode((Int64, Int64, [Int64], ByteBuffer).self) }
                    for (first, last, ids, bytes) in rows {
                        let damaged = { (reason: String) in
                            StoreError(.corrupt, "\(self.address): partition \(part), the block at seq \(first): \(reason)", offset: Int(first))
                        }
                        guard UInt64(first) == expected else { throw damaged("seq \(expected) is missing before it") }
                        let records = try PostgresBlocks.open(bytes, damaged: damaged).records
                        let hashes: [UInt64]
                        do {
                            hashes = try StoredBlock.idHashes(records)
                            for body in try StoredBlock.bodies(records) {
                                try body.withUnsafeBytes { b in
                                    var r = ByteReader(b)
                                    _ = try RecordCodec.decodeBody(&r)
                                }
                            }
                        } catch { throw damaged("records do not decode: \(error)") }
                        guard Int64(first) + Int64(hashes.count) - 1 == last else { throw damaged("it holds \(hashes.count) records, its row says seqs \(first)–\(last)") }
                        guard ids.map({ UInt64(bitPattern: $0) }) == hashes else { throw damaged("the id hashes beside it do not match its records") }
                        rep.blocks += 1
                        rep.events += hashes.count
                        rep.bytes += bytes.readableBytes
                        rep.firstSeq = rep.firstSeq ?? UInt64(first)
                        rep.lastSeq = UInt64(last)
                        expected = UInt64(last) + 1
                    }
                    if rows.count < 256 { break }
                }
                var binds = Binds()
                binds.append(part)
                let head = try link.one("SELECT last_seq FROM throughline_head WHERE part = $1", binds) { UInt64(try $0.decode(Int64.self)) }
                guard head == expected - 1 else {
                    throw StoreError(.corrupt, "\(address): partition \(part): the head says seq \(head), the blocks end at seq \(expected - 1)")
                }
                reports.append(rep)
            }
            return reports
        }
    }
}
