import ThroughlineCore

/// What one ingest took from each producer (an event's `source`): lines accepted into the log
/// (duplicates included: the producer sent them well) and lines rejected, with the latest
/// rejections' ids and reasons, so that a producer whose share of rejected lines rises can be
/// named with what it sent wrong.
public struct ProducerTally: Sendable, Equatable {
    /// The producer of a line that names no source, or cannot be read far enough to say.
    public static let unknown = "(unknown)"
    /// The rejections kept per producer.
    public static let keptRejections = 5

    public struct Rejection: Sendable, Equatable {
        public var id: String?
        public var reason: String
    }

    public private(set) var accepted: [String: Int] = [:]
    public private(set) var rejected: [String: Int] = [:]
    /// The latest rejections of each producer, oldest first.
    public private(set) var rejections: [String: [Rejection]] = [:]

    public init() {}

    public var isEmpty: Bool { accepted.isEmpty && rejected.isEmpty }

    mutating func reject(source: String, id: String?, reason: String) {
        rejected[source, default: 0] += 1
        rejections[source, default: []].append(Rejection(id: id, reason: reason))
        if rejections[source]!.count > Self.keptRejections { rejections[source]!.removeFirst() }
    }

    mutating func accept(_ sources: [String: Int]) {
        for (s, n) in sources { accepted[s, default: 0] += n }
    }

    /// The number of events of each source in `batch`.
    static func sources(of batch: EncodedBatch) -> [String: Int] {
        var out: [String: Int] = [:]
        batch.bytes.withUnsafeBytes { all in
            for i in 0..<batch.count {
                let body = UnsafeRawBufferPointer(rebasing: all[batch.range(i)])
                let source = (try? RecordView(seq: 0, recordedMicros: 0, body: body).sourceBytes() ?? nil)
                    .map { String(decoding: $0, as: UTF8.self) } ?? unknown
                out[source, default: 0] += 1
            }
        }
        return out
    }
}

extension LineChunk {
    /// The `source` and `id` of each line numbered in `numbers`, where it parses as a JSON object
    /// that gives them as text.
    func envelopes(ofLines numbers: [Int]) -> [Int: (source: String?, id: String?)] {
        let wanted = Set(numbers)
        var out: [Int: (source: String?, id: String?)] = [:]
        bytes.withUnsafeBufferPointer { all in
            for line in lines where wanted.contains(line.number) {
                let value = try? JSONParser.parse(UnsafeBufferPointer(rebasing: all[line.start..<line.end]))
                func text(_ key: String) -> String? { if case .string(let s)? = value?[key] { s } else { nil } }
                out[line.number] = (text("source"), text("id"))
            }
        }
        return out
    }
}
