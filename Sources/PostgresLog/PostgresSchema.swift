import EventLog
import PostgresNIO

/// The log's tables in PostgreSQL, made by the first node or `copy` to reach an empty
/// database (under an advisory lock, so that two nodes starting at once do not race):
///
/// - `throughline_store`: one row, the format and the number of partitions, fixed at creation.
/// - `throughline_head`: one row per partition, its last committed seq and recorded stamp. A
///   commit moves it only from the seq it framed its blocks after (waiting for the row's lock
///   while another commit holds it), so seqs are taken in commit order: a reader that sees a
///   head sees every block up to it, and no lower seq can commit later (the gap a database
///   sequence would leave with concurrent transactions).
/// - `throughline_block`: one row per block, the same bytes as a block in a segment file (LZ4,
///   CRC-32C), with the id hashes of its records, from which each appending node keeps its own
///   index of the ids (`NodeIds`): ids are exactly-once without a row per event. (Logs made
///   by earlier builds also have a GIN index on the hashes, `throughline_block_ids`, which
///   nothing reads any more and `DROP INDEX` may remove.)
/// - `throughline_key`, `_erased`, `_secret`, `_applied`: the key store (`PostgresKeys`).
enum PostgresSchema {
    static let format = 1

    /// Takes the store's advisory lock for the rest of the transaction: what is made once per
    /// store (the tables, the key store's secret) is made by one process while others wait.
    static func lockStore(_ link: PostgresLink) throws(StoreError) {
        try link.run("SELECT pg_advisory_xact_lock(7310)")
    }

    /// Makes the tables if missing (with `partitions` partitions, when `create`), then reads
    /// back the store's partition count and what tells it from another store (the instant it
    /// was made, to the microsecond). A database without the tables, when not `create`, or
    /// of another format, is refused with what to do.
    static func prepare(_ link: PostgresLink, create: Bool, partitions: Int = 1) throws(StoreError) -> (partitions: Int, identity: String) {
        try link.transaction { () throws(StoreError) in
            try lockStore(link)
            if try !link.one("SELECT to_regclass('throughline_store') IS NOT NULL", { try $0.decode(Bool.self) }) {
                guard create else {
                    throw StoreError(.invalid, "\(link.address) holds no Throughline log (no throughline_store table); "
                                     + "`throughline copy --to` or `serve --log` makes one")
                }
                try link.run("""
                    CREATE TABLE throughline_store (format integer NOT NULL, partitions integer NOT NULL CHECK (partitions >= 1),
                                                    created timestamptz NOT NULL DEFAULT now());
                    """)
                try link.run("""
                    CREATE TABLE throughline_head (part integer PRIMARY KEY, last_seq bigint NOT NULL, recorded bigint NOT NULL);
                    """)
                try link.run("""
                    CREATE TABLE throughline_block (part integer NOT NULL, first_seq bigint NOT NULL, last_seq bigint NOT NULL,
                                                    ids bigint[] NOT NULL, block bytea NOT NULL, PRIMARY KEY (part, first_seq));
                    """)
                // Blocks are compressed already, and hashes do not compress: no second attempt.
                try link.run("ALTER TABLE throughline_block ALTER COLUMN block SET STORAGE EXTERNAL, ALTER COLUMN ids SET STORAGE EXTERNAL")
                try PostgresKeys.createTables(link)
                var binds = Binds()
                binds.append(Int32(format))
                binds.append(Int32(partitions))
                try link.run("INSERT INTO throughline_store (format, partitions) VALUES ($1, $2)", binds)
                var count = Binds()
                count.append(Int32(partitions))
                try link.run("INSERT INTO throughline_head SELECT p, 0, 0 FROM generate_series(0, $1 - 1) AS p", count)
            }
            let (found, count, made) = try link.one("""
                SELECT format, partitions, (extract(epoch FROM created) * 1000000)::bigint FROM throughline_store
                """) { try $0.decode((Int32, Int32, Int64).self) }
            guard found == format else {
                throw StoreError(.invalid, "\(link.address) holds a log of format \(found); this build reads format \(format)")
            }
            return (Int(count), "made \(made)")
        }
    }
}
