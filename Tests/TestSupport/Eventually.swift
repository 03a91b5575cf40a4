/// Whether `check` comes to hold, asked every 100 ms at most `tries` times.
public func eventually(tries: Int, _ check: () async throws -> Bool) async throws -> Bool {
    for _ in 0..<tries {
        if try await check() { return true }
        try await Task.sleep(for: .milliseconds(100))
    }
    return false
}
