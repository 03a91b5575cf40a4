import EventLog
import Projections
import Synchronization
import Testing
import TestSupport

/// The loop the projector and the scorer run in: how it pauses, retries and gives up.
@Suite("Workers")
struct WorkerTests {
    struct Broken: Error, CustomStringConvertible { var description: String { "the fold is broken" } }

    @Test("An error that retrying does not cure stops the worker after its attempts, naming the error; its thread ends")
    func givesUp() async throws {
        let rounds = Atomic(0)
        let changes = Mutex<[String]>([])
        let worker = Worker(name: "test", attempts: 2, onChange: { s in changes.withLock { $0.append(s.name) } }) { _ in
            rounds.add(1, ordering: .relaxed)
            throw Broken()
        }
        worker.start()
        worker.poke()
        await worker.finished()
        #expect(worker.state == .stopped("the fold is broken"))
        #expect(rounds.load(ordering: .relaxed) == 2)
        #expect(changes.withLock { $0 } == ["retrying", "stopped"])
    }

    @Test("A full disk is waited out however long it lasts: retrying, then running again once a round succeeds")
    func waitsOutAFullDisk() async throws {
        let failing = Atomic(true)
        // Rests of at most a second: however long the disk was full, a round soon tries again.
        let worker = Worker(name: "test", attempts: 1, longestRest: 1) { _ in
            if failing.load(ordering: .relaxed) { throw StoreError(.full, "no space left on device") }
        }
        worker.start()
        worker.poke()
        #expect(try await eventually(tries: 100) { worker.state == .retrying("no space left on device") })
        try await Task.sleep(for: .milliseconds(1500))
        #expect(worker.state == .retrying("no space left on device"))
        failing.store(false, ordering: .relaxed)
        #expect(try await eventually(tries: 100) { worker.state == .running })
        worker.requestStop()
        await worker.finished()
        #expect(worker.state == .running)
    }

    @Test("While blocked the worker pauses without working, and works again when the block lifts")
    func pauses() async throws {
        let blocked = Atomic(true)
        let rounds = Atomic(0)
        let worker = Worker(name: "test", blocked: { blocked.load(ordering: .relaxed) ? "disk under the reserve" : nil }) { _ in
            rounds.add(1, ordering: .relaxed)
        }
        worker.start()
        worker.poke()
        #expect(try await eventually(tries: 100) { worker.state == .paused("disk under the reserve") })
        #expect(rounds.load(ordering: .relaxed) == 0)
        blocked.store(false, ordering: .relaxed)
        #expect(try await eventually(tries: 100) { worker.state == .running && rounds.load(ordering: .relaxed) > 0 })
        worker.requestStop()
        await worker.finished()
    }
}
