import Foundation
import ThroughlineCore

/// Appends waiting for the log's writer, with the backpressure bound: past `maxQueuedEvents` a
/// new append waits (a blocking caller) or is told when there is room (an async caller, so that
/// only its task waits, not a thread). The writer takes what is queued in commit-sized batches.
final class CommitQueue: @unchecked Sendable {
    struct Request {
        let events: EncodedBatch
        /// `events` framed ahead (`BlockFramer.ahead`), when the appending thread did so.
        let ahead: [BlockFramer.Framed]?
        let completion: @Sendable (Result<[AppendOutcome], StoreError>) -> Void
    }

    /// The blocks framed ahead of the requests of one commit, in order, if each request has them.
    static func ahead(of batch: [Request]) -> [BlockFramer.Framed]? {
        batch.allSatisfy { $0.ahead != nil } ? batch.flatMap { $0.ahead! } : nil
    }

    private let maxQueuedEvents: Int
    /// Why appends are refused for good (the writer stopped), if they are.
    private let refusal: @Sendable () -> StoreError?
    private let condition = NSCondition()
    // All guarded by `condition`.
    private var requests: [Request] = []
    private var queuedEvents = 0
    private var spaceWaiters: [@Sendable () -> Void] = []
    private var closing = false

    init(maxQueuedEvents: Int, refusal: @escaping @Sendable () -> StoreError?) {
        self.maxQueuedEvents = maxQueuedEvents
        self.refusal = refusal
    }

    /// Events queued and not yet taken into a commit.
    var count: Int {
        condition.lock()
        defer { condition.unlock() }
        return queuedEvents
    }

    /// Queues the events, or when the queue is full: waits (`wait`), or registers `whenFull` to be
    /// called once there is room and returns false. A closed or failed store answers `completion`
    /// with the failure at once.
    @discardableResult
    func enqueue(_ events: EncodedBatch, ahead: [BlockFramer.Framed]? = nil, wait: Bool, whenFull: (@Sendable () -> Void)? = nil,
                 completion: @escaping @Sendable (Result<[AppendOutcome], StoreError>) -> Void) -> Bool {
        if events.isEmpty { completion(.success([])); return true }
        condition.lock()
        while !closing && queuedEvents > 0 && queuedEvents + events.count > maxQueuedEvents {
            if !wait {
                if let whenFull { spaceWaiters.append(whenFull) }
                condition.unlock()
                return false
            }
            condition.wait()
        }
        if closing {
            condition.unlock()
            completion(.failure(StoreError(.closed, "the store is closed")))
            return true
        }
        if let failure = refusal() {
            condition.unlock()
            completion(.failure(failure))
            return true
        }
        requests.append(Request(events: events, ahead: ahead, completion: completion))
        queuedEvents += events.count
        condition.broadcast()
        condition.unlock()
        return true
    }

    /// Waits for appends and takes them, up to `maxEvents` (at least one request); nil once the
    /// queue is closed and empty. Wakes the appends that waited for room.
    func take(maxEvents: Int) -> (requests: [Request], events: Int, queuedAfter: Int)? {
        condition.lock()
        while requests.isEmpty && !closing { condition.wait() }
        if requests.isEmpty && closing { condition.unlock(); return nil }
        var taken: [Request] = []
        var n = 0
        while let r = requests.first, taken.isEmpty || n + r.events.count <= maxEvents {
            taken.append(requests.removeFirst())
            n += r.events.count
        }
        queuedEvents -= n
        let queuedAfter = queuedEvents
        condition.broadcast()
        let waiters = spaceWaiters
        spaceWaiters = []
        condition.unlock()
        for w in waiters { w() }
        return (taken, n, queuedAfter)
    }

    /// Refuses new appends from now on (what is queued is still taken); true the first time.
    func close() -> Bool {
        condition.lock()
        let first = !closing
        closing = true
        condition.broadcast()
        let waiters = spaceWaiters
        spaceWaiters = []
        condition.unlock()
        for w in waiters { w() }
        return first
    }
}
