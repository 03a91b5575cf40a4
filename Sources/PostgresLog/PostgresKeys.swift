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
        c.keys = try link.rows("SELECT number, subject, key, owner FROM throughline_key ORDER BY number") { try key(PostgresLink.Columns($0)) }
        for (n, token) in try link.rows("SELECT number, token FROM throughline_erased", { try $0.decode((Int64, String).self) }) {
            c.erased[UInt64(bitPattern: n)] = token
        }
        c.secret = try link.rows("SELECT value FROM throughline_secret") { Array(try $0.decode(ByteBuffer.self).readableBytesView) }.first
        c.applied = try link.rows("SELECT seq FROM throughline_applied ORDER BY seq") { UInt64(try $0.decode(Int64.self)) }
        return c
    }

    /// A key as a row of `throughline_key` holds it.
    static func key(_ row: PostgresLink.Columns) throws -> KeyringContents.Key {
        let (n, subject, key, owner) = (try row[0, as: Int64.self], try row[1, as: String.self], try row[2, as: ByteBuffer.self], try row[3, as: String?.self])
        return KeyringContents.Key(number: UInt64(bitPattern: n), subject: subject, key: Array(key.readableBytesView), owner: owner)
    }

    /// Writes `c` into a key store that holds no keys yet (inside the caller's transaction).
    static func write(_ c: KeyringContents, _ link: PostgresLink) throws(StoreError) {
        guard try link.one("SELECT count(*) FROM throughline_key", { try $0.decode(Int64.self) }) == 0 else {
            throw StoreError(.invalid, "\(link.address) holds keys already; copy only into a new store")
        }
        var keys = Binds()
        keys.append(c.keys.map { Int64(bitPattern: $0.number) })
        keys.append(c.keys.map(\.subject))
        keys.append(c.keys.map { ByteBuffer(bytes: $0.key) })
        keys.append(c.keys.map { $0.owner ?? "" })
        try link.run("INSERT INTO throughline_key SELECT n, s, k, NULLIF(o, '') FROM unnest($1::bigint[], $2::text[], $3::bytea[], $4::text[]) AS t(n, s, k, o)", keys)
        var erased = Binds()
        erased.append(c.erased.keys.map { Int64(bitPattern: $0) })
        erased.append(c.erased.keys.map { c.erased[$0]! })
        try link.run("INSERT INTO throughline_erased SELECT * FROM unnest($1::bigint[], $2::text[])", erased)
        try link.run("DELETE FROM throughline_secret")
        if let secret = c.secret {
            var b = Binds()
            b.append(ByteBuffer(bytes: secret))
            try link.run("INSERT INTO throughline_secret (value) VALUES ($1)", b)
        }
        var applied = Binds()
        applied.append(c.applied.map { Int64($0) })
        try link.run("INSERT INTO throughline_applied SELECT * FROM unnest($1::bigint[])", applied)
    }
}

/// The key store of a log in PostgreSQL as a `Keyring` keeps it: shared by every node, so a
/// key one node made is found by the others, and two nodes making a key for one subject at
/// once agree on the first stored.
final class PostgresVault: KeyVault {
    let pool: LinkPool
    let writable: Bool
    var shared: Bool { true }
    var name: String { pool.address.description }

    /// The vault of the log at `pool`'s address; writable, it has the store's secret made if missing.
    init(pool: LinkPool, writable: Bool) throws(StoreError) {
        self.pool = pool
        self.writable = writable
        guard writable else { return }
        try pool.withStore { link throws(StoreError) in
            try link.transaction { () throws(StoreError) in
                try PostgresSchema.lockStore(link)
                var b = Binds()
                // 256 random bits from the system's generator (getrandom), as the file store's secret.
                var random = SystemRandomNumberGenerator()
                b.append(ByteBuffer(bytes: (0..<32).map { _ in UInt8.random(in: 0...255, using: &random) }))
                try link.run("INSERT INTO throughline_secret (value) SELECT $1 WHERE NOT EXISTS (SELECT 1 FROM throughline_secret)", b)
            }
        }
    }

    func contents() throws -> KeyringContents {
        try pool.withStore { link throws(StoreError) in try PostgresKeys.read(link) }
    }

    func add(_ keys: [KeyringContents.Key]) throws -> [KeyringContents.Key] {
        var b = Binds()
        b.append(keys.map { Int64(bitPattern: $0.number) })
        b.append(keys.map(\.subject))
        b.append(keys.map { ByteBuffer(bytes: $0.key) })
        b.append(keys.map { $0.owner ?? "" })
        var s = Binds()
        s.append(keys.map(\.subject))
        let stored = try pool.withStore { link throws(StoreError) in
            try link.transaction { () throws(StoreError) in
                // In the subjects' order: two nodes storing keys for the same subjects at once then
                // wait for each other's rows in one order, never in a cycle (a deadlock PostgreSQL
                // would break by failing one of the two batches).
                try link.run("""
                    INSERT INTO throughline_key SELECT n, s, k, NULLIF(o, '') FROM unnest($1::bigint[], $2::text[], $3::bytea[], $4::text[]) AS t(n, s, k, o)
                    ORDER BY s COLLATE "C" ON CONFLICT (subject) DO NOTHING
                    """, b, prepared: true)
                // Each subject looked up by the index, whatever the plan made without the list's length.
                return try link.preparedRows("""
                    SELECT k.number, k.subject, k.key, k.owner FROM unnest($1::text[]) AS s(subject)
                      CROSS JOIN LATERAL (SELECT number, subject, key, owner FROM throughline_key WHERE subject = s.subject LIMIT 1) AS k
                    """, s, PostgresKeys.key)
            }
        }
        let bySubject = Dictionary(stored.map { ($0.subject, $0) }, uniquingKeysWith: { a, _ in a })
        return try keys.map { key throws(StoreError) in
            guard let k = bySubject[key.subject] else { throw StoreError(.io, "key number \(key.number) is taken in \(name); send the event again") }
            return k
        }
    }

    func destroy(_ numbers: Set<UInt64>, tokens: [UInt64: String], applying seq: UInt64) throws {
        var b = Binds()
        b.append(numbers.map { Int64(bitPattern: $0) })
        var t = Binds()
        t.append(tokens.keys.map { Int64(bitPattern: $0) })
        t.append(tokens.keys.map { tokens[$0]! })
        var a = Binds()
        a.append(Int64(seq))
        try pool.withStore { link throws(StoreError) in
            try link.transaction { () throws(StoreError) in
                try link.run("DELETE FROM throughline_key WHERE number = ANY($1::bigint[])", b)
                try link.run("""
                    INSERT INTO throughline_erased SELECT * FROM unnest($1::bigint[], $2::text[])
                    ON CONFLICT (number) DO UPDATE SET token = excluded.token
                    """, t)
                try link.run("INSERT INTO throughline_applied (seq) VALUES ($1) ON CONFLICT DO NOTHING", a)
            }
        }
    }

    func find(_ number: UInt64) throws -> (key: KeyringContents.Key?, token: String?) {
        var b = Binds()
        b.append(Int64(bitPattern: number))
        return try pool.withStore { link throws(StoreError) in
            // Held or destroyed (with its token), in one look: a node meets every key another made.
            let found = try link.preparedRows("""
                SELECT k.number, k.subject, k.key, k.owner, e.token FROM (SELECT $1::bigint AS number) AS q
                  LEFT JOIN throughline_key AS k ON k.number = q.number LEFT JOIN throughline_erased AS e ON e.number = q.number
                """, b) { row in (try row[0, as: Int64?.self] == nil ? nil : try PostgresKeys.key(row), try row[4, as: String?.self]) }
            return found.first ?? (nil, nil)
        }
    }
}
