import EventLog
import GRDB
import ThroughlineCore

/// The SQLite files of the access module beside the log (`access.sqlite`, `audit.sqlite`): owner
/// only, waiting up to 5 s for another process's write (the CLI writes while the server runs).
enum AccessFile {
    /// Opens (making if needed) the file at `path` and runs `schema` on it; `what` names it in errors.
    static func open(_ path: String, what: String, schema: String) throws(AccessError) -> DatabasePool {
        var config = Configuration()
        config.busyMode = .timeout(5)
        do {
            try FileSystem.ownerOnly(path)
            let pool = try DatabasePool(path: path, configuration: config)
            try pool.write { db in try db.execute(sql: schema) }
            return pool
        } catch {
            throw AccessError("cannot open \(what) \(path): \(error)")
        }
    }
}
