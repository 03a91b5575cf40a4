import Foundation
import Synchronization
import Testing
@testable import ThroughlineServer

/// The hooks a commit calls (the projector's poke, the streams' wake-up).
@Suite struct LateHookTests {
    @Test("A hook called on every commit costs the same after ten thousand commits as after one: the call's stack does not grow")
    func callDoesNotGrow() {
        let hook = LateHook()
        let depths = Mutex<[Int]>([])
        hook()  // unset: nothing happens
        hook.set { depths.withLock { $0.append(Thread.callStackReturnAddresses.count) } }
        for _ in 0..<10_000 { hook() }
        let seen = depths.withLock { $0 }
        #expect(seen.count == 10_000)
        #expect(seen.first == seen.last, "the call went \(seen.first ?? 0) frames deep at first and \(seen.last ?? 0) at the end")
    }
}
