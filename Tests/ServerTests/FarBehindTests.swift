import Foundation
import Projections
import Testing
import TestSupport
import ThroughlineCore
import ThroughlineServer

/// A server whose read models are far behind its log (events imported while it was stopped, a
/// node down through a bulk load) builds them again in bulk before it serves, rather than
/// following the backlog event by event; a short backlog it follows.
@Suite("A server far behind its log rebuilds its read models", .serialized)
struct FarBehindTests {
    /// The read models' file, by its inode: a rebuild puts a new file in place of the old one.
    static func readModelsFile(_ dir: TempDir) throws -> Int {
        try (FileManager.default.attributesOfItem(atPath: dir.path + "/projections.sqlite")[.systemFileNumber] as? Int) ?? -1
    }

    static func importLines(_ lines: ArraySlice<String>, into dir: TempDir) async throws {
        let result = try await CLI.run(["import", "--data", dir.path, "-"], input: Data(lines.joined(separator: "\n").utf8))
        #expect(result.status == 0, "\(result.stderr)")
    }

    /// Starts a server that rebuilds at `behind` events back, and returns its first health
    /// reply's `projected_seq`, whether it said it rebuilt, and the read models' file once it has
    /// applied and scored every event and stopped.
    static func start(_ dir: TempDir, behind: Int) async throws -> (projected: Int?, rebuilt: Bool, file: Int) {
        let log = LogCapture()
        let server = try await RunningServer(in: dir, log: log) { $0.rebuildBehind = behind }
        let health = { try json(try await server.get("/v1/health")) }
        let projected = int(try await health()["projected_seq"])
        let settled = try await eventually(tries: 600) {
            let h = try await health()
            return int(h["projected_seq"]) == int(h["last_seq"]) && h["scores"]?["current"] == .bool(true) && int(h["scores"]?["accounts_marked"]) == 0
        }
        let last = try await health()
        #expect(settled, "\(last)")
        try await server.stop()
        let rebuilt = log.entries.contains { $0.message.contains("far behind the log") }
        return (projected, rebuilt, try readModelsFile(dir))
    }

    @Test("Events imported while the server was stopped: a backlog of most of the log is rebuilt before the server answers, a short one is followed, and the read models end as a whole rebuild's")
    func rebuildsWhenFarBehind() async throws {
        let lines = generatedLines(accounts: 6, days: 120, seed: 11)
        let (tenth, most) = (lines.count / 10, lines.count * 95 / 100)
        // A backlog counts as far at a fifth of these events (and a quarter of the log).
        let behind = lines.count / 5
        let dir = TempDir()
        try await Self.importLines(lines[..<tenth], into: dir)
        let first = try await Self.start(dir, behind: behind)
        #expect(!first.rebuilt)

        try await Self.importLines(lines[tenth..<most], into: dir)
        let second = try await Self.start(dir, behind: behind)
        #expect(second.rebuilt)
        #expect(second.file != first.file)
        // Built before the server answered: its first reply has every event applied.
        #expect(second.projected == most)
        // Scored without marks, every account is marked for the alerter to look at once.
        #expect(try ProjectionStore(directory: dir.path).alertMarks(limit: 100).count == 6)

        try await Self.importLines(lines[most...], into: dir)
        let third = try await Self.start(dir, behind: behind)
        #expect(!third.rebuilt)
        #expect(third.file == second.file)

        // Rebuilt, then followed: the same accounts, events and scores as read models rebuilt whole.
        let whole = dir.copy()
        #expect(try await CLI.run(["rebuild", "--data", whole.path]).status == 0)
        func portfolio(_ d: TempDir) throws -> [String] {
            try ProjectionStore(directory: d.path).portfolio(PortfolioFilter()).accounts.map { a -> String in
                "\(a.account) \(a.events) \(a.score.map { String($0) } ?? "-")"
            }
        }
        let (followed, rebuilt) = (try portfolio(dir), try portfolio(whole))
        #expect(!followed.isEmpty)
        #expect(followed == rebuilt)
    }
}
