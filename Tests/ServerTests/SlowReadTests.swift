import Dispatch
import Foundation
@testable import Projections
import Synchronization
import Testing
import TestSupport
import ThroughlineClient

/// Reads of the read models run on threads of their own: reads held up in SQLite do not hold
/// the threads appends are answered on.
@Suite("Slow reads")
struct SlowReadTests {
    @Test("With every SQLite reader held and more reads waiting than the machine has cores, an append is still answered; the reads finish once released")
    func appendsAnswerWhileReadsWait() async throws {
        let s = try await RunningServer()
        #expect(try await s.post(noteLine(1)).status == 200)
        #expect(try await s.get("/v1/accounts/acme/timeline?min_seq=1").status == 200)

        // Hold every connection of the read models' reader pool (GRDB opens five at most), so
        // each read of the server waits for one.
        let gate = DispatchSemaphore(value: 0)
        let held = Atomic(0)
        let released = Atomic(false)
        let holders = 5
        for _ in 0..<holders {
            Thread {
                _ = try? s.server.projections.read { _ in
                    held.add(1, ordering: .relaxed)
                    gate.wait()
                }
            }.start()
        }
        @Sendable func release() {
            guard !released.exchange(true, ordering: .relaxed) else { return }
            for _ in 0..<holders { gate.signal() }
        }
        // Should the append hang, the readers are let go after a minute, so the test fails
        // rather than hangs.
        DispatchQueue.global().asyncAfter(deadline: .now() + 60) { release() }
        #expect(try await eventually(tries: 100) { held.load(ordering: .relaxed) == holders })

        let reads = (0..<(3 * ProcessInfo.processInfo.activeProcessorCount + 2)).map { _ in
            Task { try await s.get("/v1/accounts/acme/timeline") }
        }
        try await Task.sleep(for: .milliseconds(300))  // let them reach the server and wait
        let append = try await s.post(noteLine(2))
        let answeredWhileHeld = !released.load(ordering: .relaxed)
        #expect(append.status == 200)
        #expect(answeredWhileHeld)
        release()
        for r in reads { #expect(try await r.value.status == 200) }
        try await s.stop()
    }
}
