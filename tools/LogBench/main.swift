// log-bench: measures the event log's figures for BENCHMARKS.md.
//
//   log-bench read DATA            sequential read and decode of the whole log (events/s)
//   log-bench group-commit DIR N S N appenders of single events for S seconds (durable events/s)
//
// Import speed, size on disk and peak memory are measured on the real CLI (tools/bench).
import EventLog
import Foundation
import ThroughlineCore

func seconds(since start: UInt64) -> Double { Double(monotonicNanos() - start) / 1e9 }

func read(_ dir: String) throws {
    let snap = try LogInspector.snapshot(directory: dir).snapshot
    var start = monotonicNanos()
    var viewed = 0
    var sum = 0
    try snap.forEachView { v in
        viewed += 1
        sum &+= v.accountBytes.count &+ Int(v.type.code) &+ Int(truncatingIfNeeded: v.time.seconds)
        return true
    }
    var t = seconds(since: start)
    print("read+decode envelopes (RecordView): \(viewed) events in \(String(format: "%.2f", t)) s = \(Int(Double(viewed) / t)) events/s (check \(sum))")
    start = monotonicNanos()
    var typed = 0
    try snap.forEachView { v in
        if case .usageRecorded(let u) = try v.payload() { sum &+= u.activeUsers }
        typed += 1
        return true
    }
    t = seconds(since: start)
    print("read+decode typed payloads:         \(typed) events in \(String(format: "%.2f", t)) s = \(Int(Double(typed) / t)) events/s")
    start = monotonicNanos()
    var events = 0
    var checksum = 0
    try snap.forEachEvent { stored in
        events += 1
        checksum &+= stored.event.account.utf8.count
        return true
    }
    t = seconds(since: start)
    print("read+decode full Events (JSON values): \(events) events in \(String(format: "%.2f", t)) s = \(Int(Double(events) / t)) events/s (check \(checksum))")
}

func groupCommit(_ dir: String, writers: Int, duration: Double) throws {
    let store = try EventStore(directory: dir, holder: "log-bench")
    let stop = monotonicNanos() + UInt64(duration * 1e9)
    let counts = Counts(writers)
    let group = DispatchGroup()
    let start = monotonicNanos()
    let base = store.lastSeq
    for w in 0..<writers {
        group.enter()
        Thread {
            var i = 0
            while monotonicNanos() < stop {
                let e = Event(id: "bench-\(base)-\(w)-\(i)", account: "acct-\(i % 1000)", type: .noteAdded,
                              time: Timestamp(seconds: 1_772_000_000 + Int64(i)), source: "bench", actor: "csm:bench",
                              data: [JSONMember("author", .string("bench")), JSONMember("text", .string("group commit \(i)"))])
                _ = try! store.appendAndWait(EncodedBatch([EncodedEvent(e)]))
                i += 1
            }
            counts.set(w, i)
            group.leave()
        }.start()
    }
    group.wait()
    let t = seconds(since: start)
    let total = counts.total
    try store.close()
    let (segments, _) = try LogInspector.verify(directory: dir)
    let blocks = segments.reduce(0) { $0 + $1.blocks }
    print("group commit: \(writers) appenders, \(total) durable events in \(String(format: "%.2f", t)) s = \(Int(Double(total) / t)) events/s; "
          + "\(blocks) blocks in the log (\(String(format: "%.1f", Double(total) / Double(max(blocks, 1)))) events per commit)")
}

/// Per-appender counts, written once by each appender thread.
final class Counts: @unchecked Sendable {
    private var values: [Int]
    private let lock = NSLock()
    init(_ n: Int) { values = Array(repeating: 0, count: n) }
    func set(_ i: Int, _ v: Int) { lock.withLock { values[i] = v } }
    var total: Int { lock.withLock { values.reduce(0, +) } }
}

/// Time each import stage alone over a file's lines, on one thread: transcode, validate+encode.
func stages(_ file: String) throws {
    let data = try [UInt8](Data(contentsOf: URL(fileURLWithPath: file)))
    var lines: [Range<Int>] = []
    var start = 0
    for (i, b) in data.enumerated() where b == 0x0A {
        lines.append(start..<i)
        start = i + 1
    }
    try data.withUnsafeBufferPointer { all in
        var t = monotonicNanos()
        var w = ByteWriter(capacity: 4096)
        for r in lines {
            w.bytes.removeAll(keepingCapacity: true)
            try JSONParser.transcode(UnsafeBufferPointer(rebasing: all[r]), into: &w)
        }
        print("transcode:       \(Int(Double(lines.count) / seconds(since: t))) lines/s")
        t = monotonicNanos()
        var bytes = 0
        for r in lines { bytes += try EventDecoder.encode(UnsafeBufferPointer(rebasing: all[r])).body.count }
        print("validate+encode: \(Int(Double(lines.count) / seconds(since: t))) lines/s (\(bytes / max(lines.count, 1)) record bytes each)")
    }
}

let args = CommandLine.arguments
switch args.count > 1 ? args[1] : "" {
case "read" where args.count == 3:
    try read(args[2])
case "stages" where args.count == 3:
    try stages(args[2])
case "group-commit" where args.count == 5:
    try groupCommit(args[2], writers: Int(args[3])!, duration: Double(args[4])!)
default:
    FileHandle.standardError.write(Data("usage: log-bench read DATA | log-bench group-commit DIR WRITERS SECONDS\n".utf8))
    exit(2)
}
