import Synchronization

/// What the writer has made durable, as readers see it (the sealed segments, the active one
/// with its blocks, the last seq), and what the writer reports: that it stopped for good, or
/// that its last commit found no space. The writer publishes; anyone may read.
final class PublishedLog: Sendable {
    struct State {
        var sealed: [LogSnapshot.Part]
        var active: Segment
        var activeBlocks: [BlockRef]
        var lastSeq: UInt64
        var failure: StoreError?
        var spaceShort: String?
    }

    private let state: Mutex<State>

    init(_ parts: [LogSnapshot.Part], lastSeq: UInt64) {
        var sealed = parts
        let active = sealed.removeLast()
        state = Mutex(State(sealed: sealed, active: active.segment, activeBlocks: active.blocks, lastSeq: lastSeq))
    }

    var lastSeq: UInt64 { state.withLock { $0.lastSeq } }
    var failure: StoreError? { state.withLock { $0.failure } }
    var spaceShort: String? { state.withLock { $0.spaceShort } }
    var active: Segment { state.withLock { $0.active } }

    /// A consistent read view of everything durable now.
    func snapshot() -> LogSnapshot {
        state.withLock { s in
            LogSnapshot(parts: s.sealed + [LogSnapshot.Part(segment: s.active, blocks: s.activeBlocks)], lastSeq: s.lastSeq)
        }
    }

    func update<T>(_ body: (inout State) -> T) -> T { state.withLock { body(&$0) } }
}

extension PublishedLog.State {
    init(sealed: [LogSnapshot.Part], active: Segment, activeBlocks: [BlockRef], lastSeq: UInt64) {
        self.init(sealed: sealed, active: active, activeBlocks: activeBlocks, lastSeq: lastSeq, failure: nil, spaceShort: nil)
    }
}
