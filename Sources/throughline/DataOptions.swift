import ArgumentParser
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
