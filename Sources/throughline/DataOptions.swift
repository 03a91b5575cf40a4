import ArgumentParser
import EventLog
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// `--data DIR`, shared by every command that touches a store.
struct DataOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("The data directory (log, index, socket, lock). Default: $THROUGHLINE_DATA or ./throughline-data.",
                                            valueName: "DIR"))
    var data: String?

    var directory: String {
        if let data { return data }
        if let env = getenv("THROUGHLINE_DATA"), let s = String(validatingCString: env), !s.isEmpty { return s }
        return "./throughline-data"
    }
}

extension DataOptions {
    /// The store's log as it stands, read without the store's lock (replay, rules fit: they run
    /// beside a serving server). A directory without a log, or a log that cannot be read, exits 2.
    func logSnapshot() throws -> LogSnapshot {
        guard FileManager.default.fileExists(atPath: directory + "/log") else {
            Terminal.err("throughline: no store at \(directory) (no log directory in it)")
            throw ExitCode(2)
        }
        do { return try LogInspector.snapshot(directory: directory).snapshot } catch {
            Terminal.err("throughline: \(error)")
            throw ExitCode(2)
        }
    }
}
