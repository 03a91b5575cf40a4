import EventLog
import Synchronization

/// Connections to one PostgreSQL server kept open between uses: a reader takes one for the
/// length of its read. A connection that failed is dropped, not given back.
final class LinkPool: Sendable {
    let address: PostgresAddress
    private let idle = Mutex<[PostgresLink]>([])
    private let keep: Int

    init(_ address: PostgresAddress, keep: Int = 8) {
        self.address = address
        self.keep = keep
    }

    func with<T>(_ body: (PostgresLink) throws -> T) throws -> T {
        // An idle connection the server closed meanwhile (a restart) is dropped, not used.
        let link = try idle.withLock { all in
            while let l = all.popLast() {
                if !l.isClosed { return l }
            }
            return nil
        } ?? PostgresLink(address)
        do {
            let result = try body(link)
            give(link)
            return result
        } catch {
            if (error as? StoreError)?.kind == .unavailable || link.isClosed {
                // The server went away: every idle connection went with it, whether it noticed or not.
                link.close()
                close()
            } else {
                give(link)
            }
            throw error
        }
    }

    private func give(_ link: PostgresLink) {
        guard !link.isClosed else { return }
        let spare = idle.withLock { (all) -> PostgresLink? in
            guard all.count < keep else { return link }
            all.append(link)
            return nil
        }
        spare?.close()
    }

    deinit { close() }

    func close() {
        for link in idle.withLock({ all in defer { all = [] }; return all }) { link.close() }
    }
}
