import EventLog
import NIOCore
import PostgresNIO

/// The key store of a log kept in PostgreSQL, in four tables beside the blocks (the same rows
/// as `keys.sqlite` beside segment files): keys, what erased keys read as, the secret people's
/// subjects are hashed with, and the forgets applied.
enum PostgresKeys {
    static func createTables(_ link: PostgresLink) throws(StoreError) {
        try link.run("CREATE TABLE throughline_key (number bigint PRIMARY KEY, subject text NOT NULL UNIQUE, key bytea NOT NULL, owner text)")
        try link.run("CREATE TABLE throughline_erased (number bigint PRIMARY KEY, token text NOT NULL)")
        try link.run("CREATE TABLE throughline_secret (value bytea NOT NULL)")
        try link.run("CREATE TABLE throughline_applied (seq bigint PRIMARY KEY)")
    }

    static func read(_ link: PostgresLink) throws(StoreError) -> KeyringContents {
        var c = KeyringContents()
        c.keys = try link.rows("SELECT number, subject, key, owner FROM throughline_key ORDER BY number") { row in
            let (n, subject, key, owner) = try row.decode((Int64, String, ByteBuffer, String?).self)
            return KeyringContents.Key(number: UInt64(bitPattern: n), subject: subject, key: Array(key.readableBytesView), owner: owner)
        }
        for (n, token) in try link.rows("SELECT number, token FROM throughline_erased", { try $0.decode((Int64, String).self) }) {
            c.erased[UInt64(bitPattern: n)] = token
        }
        c.secret = try link.rows("SELECT value FROM throughline_secret") { Array(try $0.decode(ByteBuffer.self).readableBytesView) }.first
        c.applied = try link.rows("SELECT seq FROM throughline_applied ORDER BY seq") { UInt64(try $0.decode(Int64.self)) }
        return c
    }

    /// Writes `c` into a key store that holds no keys yet (inside the caller's transaction).
    static func write(_ c: KeyringContents, _ link: PostgresLink) throws(StoreError) {
        guard try link.one("SELECT count(*) FROM throughline_key", { try $0.decode(Int64.self) }) == 0 else {
            throw StoreError(.invalid, "\(link.address) holds keys already; copy only into a new store")
        }
        var keys = PostgresBindings()
        keys.append(c.keys.map { Int64(bitPattern: $0.number) })
        keys.append(c.keys.map(\.subject))
        keys.append(c.keys.map { ByteBuffer(bytes: $0.key) })
        keys.append(c.keys.map { $0.owner ?? "" })
        try link.run("INSERT INTO throughline_key SELECT n, s, k, NULLIF(o, '') FROM unnest($1::bigint[], $2::text[], $3::bytea[], $4::text[]) AS t(n, s, k, o)", keys)
        var erased = PostgresBindings()
        erased.append(c.erased.keys.map { Int64(bitPattern: $0) })
        erased.append(c.erased.keys.map { c.erased[$0]! })
        try link.run("INSERT INTO throughline_erased SELECT * FROM unnest($1::bigint[], $2::text[])", erased)
        try link.run("DELETE FROM throughline_secret")
        if let secret = c.secret {
            var b = PostgresBindings()
            b.append(ByteBuffer(bytes: secret))
            try link.run("INSERT INTO throughline_secret (value) VALUES ($1)", b)
        }
        var applied = PostgresBindings()
        applied.append(c.applied.map { Int64($0) })
        try link.run("INSERT INTO throughline_applied SELECT * FROM unnest($1::bigint[])", applied)
    }
}
