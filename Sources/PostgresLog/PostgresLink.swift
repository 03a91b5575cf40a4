import Dispatch
import EventLog
import Logging
import NIOCore
import NIOPosix
import PostgresNIO
import Synchronization

/// One connection to PostgreSQL whose calls block the calling thread until the server answers:
/// the log's readers and writer are plain threads (never an event loop, which `wait` refuses).
/// Every failure comes back as a `StoreError` that names the server and what PostgreSQL said.
final class PostgresLink: @unchecked Sendable {
    let address: PostgresAddress
    let connection: PostgresConnection
    private static let ids = Atomic<Int>(0)
    static let logger: Logger = {
        var l = Logger(label: "throughline.postgres")
        l.logLevel = .critical
        return l
    }()

    /// Connects (within five seconds) and turns on what the log's promises rest on: an append
    /// is acknowledged only once committed to disk.
    init(_ address: PostgresAddress) throws(StoreError) {
        self.address = address
        var config: PostgresConnection.Configuration
        if let socket = address.socketPath {
            config = .init(unixSocketPath: socket, username: address.user, password: address.password, database: address.database)
        } else {
            config = .init(host: address.host!, port: address.port, username: address.user, password: address.password,
                           database: address.database, tls: .disable)
        }
        config.options.connectTimeout = .seconds(5)
        do {
            connection = try PostgresConnection.connect(on: MultiThreadedEventLoopGroup.singleton.next(), configuration: config,
                                                        id: Self.ids.add(1, ordering: .relaxed).newValue, logger: Self.logger).wait()
        } catch {
            throw Self.failure(error, address: address, doing: "connect")
        }
        try run("SET synchronous_commit = on")
        // A prepared statement is planned once, not again at each execution with its values (the
        // log's statements read a head row or a partition's blocks by key: one plan serves all).
        try run("SET plan_cache_mode = force_generic_plan")
    }

    /// The longest a statement may take before its connection is given up as hung (a
    /// connection the server dropped without the client noticing would otherwise wait forever).
    static let statementTimeout = 60

    /// Runs one statement and returns its rows. A `prepared` statement (one run often: the
    /// log's appends and reads) is parsed and planned once per connection, then only bound and
    /// executed; its parameters' types must be plain from its text (cast them).
    @discardableResult
    func run(_ sql: String, _ binds: Binds = Binds(), prepared: Bool = false) throws(StoreError) -> [PostgresRow] {
        let doing = String(sql.prefix(60))
        // A statement written to a connection the server closed is never answered.
        guard !connection.isClosed else {
            throw StoreError(.unavailable, "PostgreSQL at \(address): \(doing): the server closed the connection")
        }
        guard prepared else {
            return try wait(connection.query(PostgresQuery(unsafeSQL: sql, binds: binds.bindings), logger: Self.logger).map(\.rows), doing)
        }
        let statement: PreparedQuery
        if let known = statements.withLock({ $0[sql] }) {
            statement = known
        } else {
            statement = try wait(connection.prepare(query: sql), doing)
            statements.withLock { $0[sql] = statement }
        }
        return try wait(statement.execute(binds.values), doing)
    }

    /// The statements prepared on this connection, by their text.
    private let statements = Mutex<[String: PreparedQuery]>([:])

    /// What `future` gives, waited for on this thread (within `statementTimeout`).
    private func wait<T: Sendable>(_ future: EventLoopFuture<T>, _ doing: String) throws(StoreError) -> T {
        let done = DispatchSemaphore(value: 0)
        let outcome = Mutex<Result<T, any Error>?>(nil)
        future.whenComplete { result in
            outcome.withLock { $0 = result }
            done.signal()
        }
        guard done.wait(timeout: .now() + .seconds(Self.statementTimeout)) == .success else {
            let closing: EventLoopFuture<Void> = connection.close()
            closing.whenComplete { _ in }
            throw StoreError(.unavailable, "PostgreSQL at \(address): \(doing): no answer within \(Self.statementTimeout) s; the connection is dropped")
        }
        do { return try outcome.withLock { $0! }.get() } catch {
            throw Self.failure(error, address: address, doing: doing)
        }
    }

    /// Runs one statement and decodes each row with `decode`; a mistyped row is `.corrupt`.
    func rows<T>(_ sql: String, _ binds: Binds = Binds(), prepared: Bool = false, _ decode: (PostgresRow) throws -> T) throws(StoreError) -> [T] {
        let rows = try run(sql, binds, prepared: prepared)
        do { return try rows.map(decode) } catch {
            throw StoreError(.corrupt, "PostgreSQL at \(address): \(String(sql.prefix(60))): unexpected columns: \(error)")
        }
    }

    /// `rows`, for a statement run often (`run(prepared:)`): each row's columns as `Columns`.
    func preparedRows<T>(_ sql: String, _ binds: Binds = Binds(), _ decode: (Columns) throws -> T) throws(StoreError) -> [T] {
        try rows(sql, binds, prepared: true) { try decode(Columns($0)) }
    }

    /// The columns of a row. Results come in binary, whatever the statement, though a prepared
    /// statement's description (made before any bind) says text: each column is read as binary.
    struct Columns {
        let cells: [PostgresCell]

        init(_ row: PostgresRow) {
            cells = row.map { cell in
                var c = cell
                c.format = .binary
                return c
            }
        }

        subscript<T: PostgresDecodable>(_ i: Int, as type: T.Type = T.self) -> T {
            get throws { try cells[i].decode(T.self) }
        }
    }

    /// Runs one statement that returns exactly one row, decoded with `decode`.
    func one<T>(_ sql: String, _ binds: Binds = Binds(), _ decode: (PostgresRow) throws -> T) throws(StoreError) -> T {
        let all = try rows(sql, binds, decode)
        guard all.count == 1 else { throw StoreError(.corrupt, "PostgreSQL at \(address): \(String(sql.prefix(60))): \(all.count) rows, not one") }
        return all[0]
    }

    func rows<T>(_ sql: String, _ decode: (PostgresRow) throws -> T) throws(StoreError) -> [T] {
        try rows(sql, Binds(), decode)
    }

    func one<T>(_ sql: String, _ decode: (PostgresRow) throws -> T) throws(StoreError) -> T {
        try one(sql, Binds(), decode)
    }

    /// Runs `body` inside one transaction: committed if it returns, rolled back if it throws.
    func transaction<T>(_ body: () throws(StoreError) -> T) throws(StoreError) -> T {
        try run("BEGIN")
        let result: T
        do { result = try body() } catch {
            _ = try? run("ROLLBACK")
            throw error
        }
        try run("COMMIT")
        return result
    }

    var isClosed: Bool { connection.isClosed }

    func close() { try? connection.close().wait() }

    deinit { if !connection.isClosed { close() } }

    /// `error` as a store error: the server unreachable or gone is `.unavailable` (try again
    /// later), a refused statement `.io` with PostgreSQL's own message.
    static func failure(_ error: any Error, address: PostgresAddress, doing: String) -> StoreError {
        if let e = error as? StoreError { return e }
        guard let p = error as? PSQLError else {
            return StoreError(.unavailable, "PostgreSQL at \(address): \(doing): \(error)")
        }
        if let info = p.serverInfo {
            let state = info[.sqlState] ?? "?"
            let message = info[.message] ?? "\(p.code)"
            // Class 57 (shut down, crash), 08 (connection), 53 (resources): the server, not the request.
            let transient = state.hasPrefix("57") || state.hasPrefix("08") || state.hasPrefix("53")
            return StoreError(transient ? .unavailable : .io, "PostgreSQL at \(address): \(doing): \(message) (SQLSTATE \(state))")
        }
        let cause = p.underlying.map { "\($0)" } ?? "\(p.code)"
        return StoreError(.unavailable, "PostgreSQL at \(address) cannot be reached (\(doing)): \(cause)")
    }
}
