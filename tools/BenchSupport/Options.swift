/// Reads a benchmark tool's command line in order: calls `take` with each argument (an option's
/// name, `--connections`) and a reader of the argument after it, its value; a missing value fails
/// with `fail`, naming the option. `take` fails itself on a name it does not know.
public func readOptions(_ args: [String], fail: @escaping (String) -> Never, _ take: (String, () -> String) -> Void) {
    var i = 0
    while i < args.count {
        let name = args[i]
        take(name) {
            i += 1
            guard i < args.count else { fail("\(name) needs a value") }
            return args[i]
        }
        i += 1
    }
}
