import Synchronization

/// A call that one part of the server makes into another made after it (each commit pokes the
/// projector, which is opened after the store): set once, then called on every commit or batch.
///
/// The function is kept in a class. Kept in a `Mutex` as a function value, each `withLock` that
/// read it wrapped it in two more reabstraction thunks (the inout value written back at another
/// abstraction), so after N commits one call walked 2N frames: a node's CPU grew with the
/// commits it had made, and its thread's stack would have overflowed in the end.
final class LateHook: Sendable {
    private final class Body: Sendable {
        let call: @Sendable () -> Void
        init(_ call: @escaping @Sendable () -> Void) { self.call = call }
    }

    private let body = Mutex<Body?>(nil)

    init() {}

    /// What calling the hook does from now on (nothing until set).
    func set(_ call: @escaping @Sendable () -> Void) { body.withLock { $0 = Body(call) } }

    func callAsFunction() { body.withLock { $0 }?.call() }
}
