import EventLog
import NIOCore
import Synchronization
import ThroughlineCore

/// The stretches of the log event streams send, read and encoded once for every stream at the
/// same place with the same filter and the same reader: 20 streams of every event reading in
/// step cost one read and one encoding per stretch, not twenty. The latest `capacity` stretches
/// are kept; a stretch that did not move (the stream is at the log's end) is never kept, so a
/// stream asks the log again when it grows.
final class StreamChunks: Sendable {
    /// What makes two streams' stretches the same bytes.
    struct Key: Hashable {
        var after: String
        var reader: String
        var filter: String
    }

    struct Chunk: Sendable {
        /// One buffer every stream writes as it is (no copy per stream).
        var bytes: ByteBuffer
        var reached: LogPosition
    }

    private struct State {
        var reads: [Key: Task<Chunk, any Error>] = [:]
        var order: [Key] = []
    }

    private let state = Mutex(State())
    let capacity: Int

    /// Where reads run (the streams' executor).
    let executor: any TaskExecutor

    init(capacity: Int = 16, executor: any TaskExecutor) {
        self.capacity = capacity
        self.executor = executor
    }

    /// The key of the stretch after `after` for `reader`, with filter `filter` (nil: not shared).
    static func key(after: LogPosition, reader: Principal?, filter: String?) -> Key? {
        filter.map { Key(after: after.description, reader: reader.map { "\($0.kind):\($0.name):\($0.role):\($0.book.joined(separator: ","))" } ?? "", filter: $0) }
    }

    /// The stretch `key` names: the one read already or being read, else what `read` reads.
    func chunk(_ key: Key?, after: LogPosition, read: @escaping @Sendable () async throws -> Chunk) async throws -> Chunk {
        guard let key else { return try await read() }
        let task = state.withLock { s -> Task<Chunk, any Error> in
            if let reading = s.reads[key] { return reading }
            let reading = Task(executorPreference: executor) { try await read() }
            s.reads[key] = reading
            s.order.append(key)
            if s.order.count > capacity { s.reads.removeValue(forKey: s.order.removeFirst()) }
            return reading
        }
        do {
            let chunk = try await task.value
            if chunk.reached == after { forget(key, task) }
            return chunk
        } catch {
            forget(key, task)
            throw error
        }
    }

    private func forget(_ key: Key, _ task: Task<Chunk, any Error>) {
        state.withLock { s in
            guard s.reads[key] == task else { return }
            s.reads.removeValue(forKey: key)
            s.order.removeAll { $0 == key }
        }
    }
}
