import Foundation
import Synchronization
import ThroughlineCore

/// Streams NDJSON into an `EventStore`: splits lines, validates and encodes them on the calling
/// thread while the writer commits the previous batch, so decoding and durable writes overlap.
/// Bad lines are reported with their line number and never stop the good ones.
public final class Importer: Sendable {
    /// Counts of one import run.
    public struct Summary: Sendable, Equatable {
        public var accepted = 0, duplicate = 0, conflict = 0, rejected = 0, emptyLines = 0
        /// Seqs assigned to the accepted events (nil if none were accepted).
        public var firstSeq: UInt64?, lastSeq: UInt64?
        public var lines = 0
        public var events: Int { accepted + duplicate + conflict + rejected }
        public init() {}

        /// Counts one settled event.
        public mutating func count(_ outcome: AppendOutcome) {
            switch outcome.status {
            case .accepted:
                accepted += 1
                if firstSeq == nil { firstSeq = outcome.seq }
                lastSeq = outcome.seq
            case .duplicate: duplicate += 1
            case .conflict: conflict += 1
            }
        }
    }

    let store: EventStore
    let batchSize: Int
    let maxLineBytes: Int
    private let tally = Mutex(Summary())

    /// `batchSize` events go to the writer at a time; lines longer than `maxLineBytes` are refused.
    public init(store: EventStore, batchSize: Int = 8192, maxLineBytes: Int = 1 << 20) {
        self.store = store
        self.batchSize = batchSize
        self.maxLineBytes = maxLineBytes
    }

    /// Imports everything `read` yields (it fills the buffer and returns the byte count, 0 at end).
    /// `problem(line, reason)` is called for each rejected or conflicting line; `durable(line)`
    /// after each commit with the last line number whose event is now durable (commits complete in
    /// order, so every line up to it is settled). Returns when every batch is durable.
    public func run(read: (UnsafeMutableRawBufferPointer) throws -> Int,
                    problem: @escaping @Sendable (Int, String) -> Void,
                    durable: @escaping @Sendable (Int) -> Void = { _ in }) throws -> Summary {
        var splitter = LineSplitter(maxLineBytes: maxLineBytes)
        var batch = EncodedBatch()
        var lines: [Int] = []
        let inFlight = DispatchSemaphore(value: 2)
        let failure = Mutex<StoreError?>(nil)

        func submit() {
            guard !batch.isEmpty else { return }
            inFlight.wait()
            let batchLines = lines
            let last = lines.last!
            store.submit(batch) { [self] result in
                defer { inFlight.signal() }
                switch result {
                case .failure(let e):
                    failure.withLock { $0 = $0 ?? e }
                case .success(let outcomes):
                    var conflicts: [(Int, AppendOutcome)] = []
                    tally.withLock { t in
                        for (i, o) in outcomes.enumerated() {
                            t.count(o)
                            if o.status == .conflict { conflicts.append((batchLines[i], o)) }
                        }
                    }
                    for (line, o) in conflicts { problem(line, o.conflictReason) }
                    durable(last)
                }
            }
            batch = EncodedBatch()
            lines.removeAll(keepingCapacity: true)
        }

        // Lines wait in `chunk` until a batch is full, then both cores decode it (in order).
        var chunk = LineChunk()
        func decodeChunk() {
            guard !chunk.lines.isEmpty else { return }
            let decoded = chunk.decode()
            for (number, error) in decoded.rejected {
                tally.withLock { $0.rejected += 1 }
                problem(number, error.description)
            }
            batch = decoded.batch
            lines = decoded.lines
            chunk.removeAll()
            submit()
        }

        func handle(_ number: Int, _ line: LineSplitter.Line) {
            switch line {
            case .tooLong(let n):
                tally.withLock { $0.rejected += 1 }
                problem(number, LineSplitter.tooLongReason(n, limit: maxLineBytes))
            case .text(let bytes):
                if LineSplitter.isBlank(bytes) {
                    tally.withLock { $0.emptyLines += 1 }
                    return
                }
                chunk.append(number, bytes)
                if chunk.lines.count >= batchSize { decodeChunk() }
            }
        }

        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let n = try buffer.withUnsafeMutableBytes { try read($0) }
            if n == 0 { break }
            buffer.withUnsafeBytes { b in splitter.feed(UnsafeRawBufferPointer(rebasing: b[0..<n]), handle) }
            if let e = failure.withLock({ $0 }) { throw e }
        }
        splitter.finish(handle)
        decodeChunk()
        inFlight.wait()
        inFlight.wait()
        inFlight.signal()
        inFlight.signal()
        if let e = failure.withLock({ $0 }) { throw e }
        var summary = tally.withLock { $0 }
        summary.lines = splitter.lineNumber
        return summary
    }
}

/// A batch of raw lines waiting to be decoded: their bytes back to back and where each starts.
struct LineChunk {
    var bytes: [UInt8] = []
    var lines: [(number: Int, start: Int, end: Int)] = []

    mutating func append(_ number: Int, _ line: UnsafeBufferPointer<UInt8>) {
        let start = bytes.count
        bytes.append(contentsOf: line)
        lines.append((number, start, bytes.count))
    }

    mutating func removeAll() {
        bytes.removeAll(keepingCapacity: true)
        lines.removeAll(keepingCapacity: true)
    }

    /// What decoding a chunk gave: the good events in line order with their line numbers, and
    /// the rejected lines with their reasons.
    struct Decoded {
        var batch = EncodedBatch()
        var lines: [Int] = []
        var rejected: [(Int, ValidationError)] = []

        /// The envelope of event `i` of the batch, for `read` (valid only inside it).
        func envelope<T>(_ i: Int, _ read: (RecordView) -> T) -> T? {
            batch.bytes.withUnsafeBytes { b in
                (try? RecordView(seq: 0, recordedMicros: 0, body: UnsafeRawBufferPointer(rebasing: b[batch.range(i)]))).map(read)
            }
        }

        /// The line and account of each event of `type`.
        func lines(of type: EventType) -> [(line: Int, account: String)] {
            (0..<batch.count).compactMap { i in envelope(i) { $0.type == type ? (lines[i], $0.account) : nil } ?? nil }
        }

        /// Moves the events that fail their type's check to the rejected lines, with the reasons
        /// (the batch is copied only when one fails).
        mutating func refuse(_ checks: [EventType: (RecordView) -> ValidationError?]) {
            let reasons = (0..<batch.count).map { i in envelope(i) { view in checks[view.type].flatMap { $0(view) } } ?? nil }
            guard reasons.contains(where: { $0 != nil }) else { return }
            var kept = EncodedBatch(), keptLines: [Int] = []
            for i in 0..<batch.count {
                if let reason = reasons[i] {
                    rejected.append((lines[i], reason))
                } else {
                    kept.append(EncodedEvent(body: Array(batch.body(i)), idHash: batch.hashes[i]))
                    keptLines.append(lines[i])
                }
            }
            (batch, lines) = (kept, keptLines)
            rejected.sort { $0.0 < $1.0 }
        }
    }

    /// How many parts a chunk is decoded in: one per core, none under 256 lines.
    var parts: Int { max(1, min(ProcessInfo.processInfo.activeProcessorCount, lines.count / 256)) }

    /// Decodes part `w` of `parts` (a run of consecutive lines).
    func decode(part w: Int, of parts: Int) -> Decoded {
        let n = lines.count
        var part = Decoded()
        var scratch = ByteWriter(capacity: 4096)
        bytes.withUnsafeBufferPointer { input in
            for i in (n * w / parts)..<(n * (w + 1) / parts) {
                let line = lines[i]
                let text = UnsafeBufferPointer(rebasing: input[line.start..<line.end])
                do throws(ValidationError) {
                    try EventDecoder.encode(text, scratch: &scratch, into: &part.batch)
                    part.lines.append(line.number)
                } catch {
                    part.rejected.append((line.number, error))
                }
            }
        }
        return part
    }

    /// Decodes every line, splitting the work across the machine's cores; results keep line order.
    func decode() -> Decoded {
        let workers = parts
        var results = [Decoded](repeating: Decoded(), count: workers)
        results.withUnsafeMutableBufferPointer { out in
            let slots = SendableSlots(out)
            let chunk = UncheckedSendable(self)
            DispatchQueue.concurrentPerform(iterations: workers) { w in
                slots.buffer[w] = chunk.value.decode(part: w, of: workers)
            }
        }
        return Decoded(joining: results)
    }

    /// `decode()` on the server's bulk threads, of lower priority than its event loops: the
    /// awaiting task's thread is free meanwhile, since a batch of a thousand lines takes
    /// milliseconds of both cores, which would otherwise hold the cooperative threads every
    /// other request and stream waits for.
    func decodedAside() async -> Decoded {
        // A few lines (single events) decode in less time than a hop to another thread takes.
        if lines.count < 64 { return decode(part: 0, of: 1) }
        let workers = parts
        let results = Mutex([Decoded](repeating: Decoded(), count: workers))
        let chunk = UncheckedSendable(self)
        await JobThreads.bulk.perform(parts: workers) { w in
            let part = chunk.value.decode(part: w, of: workers)
            results.withLock { $0[w] = part }
        }
        return Decoded(joining: results.withLock { $0 })
    }
}

extension LineChunk.Decoded {
    /// The parts' results one after the other.
    init(joining parts: [LineChunk.Decoded]) {
        self = parts[0]
        for part in parts.dropFirst() {
            batch.append(contentsOf: part.batch)
            lines += part.lines
            rejected += part.rejected
        }
    }
}

/// Shares a read-only buffer with concurrent workers for the duration of one call.
struct UncheckedSendable<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}

/// Lets concurrent workers fill disjoint slots of one buffer.
struct SendableSlots<T>: @unchecked Sendable {
    let buffer: UnsafeMutableBufferPointer<T>
    init(_ buffer: UnsafeMutableBufferPointer<T>) { self.buffer = buffer }
}
