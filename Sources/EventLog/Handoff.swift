import Foundation

/// Hands values from one thread to another, one at a time: `put` waits while the last one has
/// not been taken, so the producer stays at most one value ahead.
public final class Handoff<Value>: @unchecked Sendable {
    private let condition = NSCondition()
    private var slot: Value?
    private var done = false
    private var cancelled = false
    private var error: Error?

    public init() {}

    /// False if the consumer gave up.
    public func put(_ value: Value) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        while slot != nil && !cancelled { condition.wait() }
        if cancelled { return false }
        slot = value
        condition.broadcast()
        return true
    }

    public func finish() {
        condition.lock()
        done = true
        condition.broadcast()
        condition.unlock()
    }

    public func fail(_ error: Error) {
        condition.lock()
        self.error = error
        condition.broadcast()
        condition.unlock()
    }

    public func cancel() {
        condition.lock()
        cancelled = true
        condition.broadcast()
        condition.unlock()
    }

    /// The next value; nil when the producer finished; throws what the producer failed with.
    public func take() throws -> Value? {
        condition.lock()
        defer { condition.unlock() }
        while slot == nil && !done && error == nil { condition.wait() }
        if let value = slot {
            slot = nil
            condition.broadcast()
            return value
        }
        if let error { throw error }
        return nil
    }
}
