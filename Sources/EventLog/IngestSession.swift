import ThroughlineCore

/// Ingests one stream of numbered lines (an HTTP request body) into an `EventStore` without
/// blocking a thread: lines are collected with `take`, decoded a batch at a time on all cores by
/// `flush` (on `JobThreads.bulk`, below the priority of the server's other work), and committed while the next batch is read (at most two batches in flight). Every
/// line's result is kept compactly for the response. Used from one task at a time.
public final class IngestSession {
    let store: EventStore
    let batchSize: Int
    let maxLineBytes: Int
    private var chunk = LineChunk()
    private var inFlight: Task<(lines: [Int], result: Result<[AppendOutcome], StoreError>, sources: [String: Int]), Never>?
    private var failure: StoreError?
    public private(set) var results: IngestResults
    /// The lines of each producer (the events' `source`; `ProducerTally.unknown` when a line
    /// names none or cannot be read) accepted and rejected so far.
    public private(set) var producers = ProducerTally()
    /// Checks some types must pass besides their schema, each giving why an event is refused or
    /// nil (a producer may not forget an account; a rules switch must carry rules that load).
    public var checks: [EventType: (RecordView) -> ValidationError?] = [:]
    /// The line and account of each `subject.forgotten` taken (for the audit trail, once stored).
    public private(set) var forgets: [(line: Int, account: String)] = []

    public init(store: EventStore, batchSize: Int = 4096, maxLineBytes: Int = 1 << 20, maxMessages: Int = 10_000) {
        self.store = store
        self.batchSize = batchSize
        self.maxLineBytes = maxLineBytes
        results = IngestResults(maxMessages: maxMessages)
    }

    /// Takes one line (or array element) of the body.
    public func take(_ number: Int, _ line: LineSplitter.Line) {
        switch line {
        case .tooLong(let n):
            let reason = LineSplitter.tooLongReason(n, limit: maxLineBytes)
            results.set(number, rejected: reason)
            producers.reject(source: ProducerTally.unknown, id: nil, reason: "line \(number): \(reason)")
        case .text(let bytes):
            if LineSplitter.isBlank(bytes) {
                results.set(number, blank: ())
                return
            }
            chunk.append(number, bytes)
        }
    }

    /// True once enough lines wait for a `flush`.
    public var wantsFlush: Bool { chunk.lines.count >= batchSize }

    /// Decodes the waiting lines and hands the good ones to the writer; returns once the batch
    /// before it is durable, so one batch commits while the next is read and decoded.
    public func flush() async throws {
        guard !chunk.lines.isEmpty else { return }
        var decoded = await chunk.decodedAside()
        if !checks.isEmpty { decoded.refuse(checks) }
        forgets += decoded.lines(of: .subjectForgotten)
        let envelopes = decoded.rejected.isEmpty ? [:] : chunk.envelopes(ofLines: decoded.rejected.map(\.0))
        for (number, error) in decoded.rejected {
            results.set(number, rejected: error.description)
            let e = envelopes[number]
            producers.reject(source: e?.source ?? ProducerTally.unknown, id: e?.id, reason: "line \(number): \(error.description)")
        }
        chunk.removeAll()
        await settlePrevious()
        if let failure { throw failure }
        let sources = ProducerTally.sources(of: decoded.batch)
        inFlight = Task { [store, batch = decoded.batch, lines = decoded.lines] in
            (lines, await store.commit(batch), sources)
        }
    }

    /// Flushes what is left and returns once every accepted event is durable.
    public func finish() async throws -> IngestResults {
        try await flush()
        await settlePrevious()
        if let failure { throw failure }
        return results
    }

    /// Waits for the batch in flight and records its outcomes.
    private func settlePrevious() async {
        guard let task = inFlight else { return }
        inFlight = nil
        let (lines, result, sources) = await task.value
        switch result {
        case .success(let outcomes):
            for (line, outcome) in zip(lines, outcomes) { results.set(line, outcome) }
            producers.accept(sources)
        case .failure(let e):
            failure = failure ?? e
        }
    }
}

/// Every line's result of one ingest, 8 bytes a line: status and seq, or for a rejected line the
/// index of its reason. Reasons past `maxMessages` are counted but not kept, so a body of a
/// million bad lines cannot hold a million messages.
public struct IngestResults: Sendable {
    public enum Status: UInt8, Sendable {
        case blank = 0, accepted, duplicate, conflict, rejected
        public var name: String {
            switch self {
            case .blank: "blank"
            case .accepted: "accepted"
            case .duplicate: "duplicate"
            case .conflict: "conflict"
            case .rejected: "rejected"
            }
        }
    }

    /// One line's result.
    public struct Line: Sendable {
        public let line: Int
        public let status: Status
        /// Where the event is stored (for duplicate and conflict: the original's seq).
        public let seq: UInt64?
        public let error: String?
    }

    public private(set) var summary = Importer.Summary()
    private var slots: [UInt64] = []
    private var messages: [String] = []
    let maxMessages: Int
    static let noMessage: UInt64 = (1 << 56) - 1

    init(maxMessages: Int) { self.maxMessages = maxMessages }

    /// Lines seen, blank ones included.
    public var lineCount: Int { slots.count }

    mutating func set(_ line: Int, blank: Void) {
        put(line, .blank, 0)
        summary.emptyLines += 1
    }

    mutating func set(_ line: Int, rejected reason: String) {
        summary.rejected += 1
        if messages.count < maxMessages {
            messages.append(reason)
            put(line, .rejected, UInt64(messages.count - 1))
        } else {
            put(line, .rejected, Self.noMessage)
        }
    }

    mutating func set(_ line: Int, _ outcome: AppendOutcome) {
        summary.count(outcome)
        switch outcome.status {
        case .accepted: put(line, .accepted, outcome.seq)
        case .duplicate: put(line, .duplicate, outcome.seq)
        case .conflict: put(line, .conflict, outcome.seq)
        }
    }

    private mutating func put(_ line: Int, _ status: Status, _ value: UInt64) {
        if slots.count < line { slots.append(contentsOf: repeatElement(0, count: line - slots.count)) }
        slots[line - 1] = UInt64(status.rawValue) << 56 | value
    }

    /// Line `n` (1-based)'s result.
    public func line(_ n: Int) -> Line {
        let slot = slots[n - 1]
        let status = Status(rawValue: UInt8(slot >> 56)) ?? .blank
        let value = slot & ((1 << 56) - 1)
        switch status {
        case .blank: return Line(line: n, status: status, seq: nil, error: nil)
        case .accepted, .duplicate: return Line(line: n, status: status, seq: value, error: nil)
        case .conflict: return Line(line: n, status: status, seq: value, error: AppendOutcome(.conflict, seq: value).conflictReason)
        case .rejected:
            let reason = value == Self.noMessage ? "rejected (reasons are kept for the first \(maxMessages) bad lines only)" : messages[Int(value)]
            return Line(line: n, status: status, seq: nil, error: reason)
        }
    }
}
