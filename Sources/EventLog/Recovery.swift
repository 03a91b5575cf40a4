#if canImport(Glibc)
import Glibc
#endif
import Dispatch
import Synchronization
import ThroughlineCore

/// Opens the segment files of `DATA/log`, checks every block, and applies the recovery rule
/// (see `SegmentScanner`). Writable recovery truncates a torn tail; read-only recovery stops
/// before it and changes nothing. Segments are scanned at once on every core (a scan only
/// reads); what the scans found is then checked and applied in segment order, so the first
/// damage in the log is the one reported.
struct Recovery {
    var parts: [LogSnapshot.Part] = []
    var lastSeq: UInt64 = 0
    /// End of valid data in the last segment: where the next block goes.
    var activeLength = Segment.headerSize
    /// What recovery did, for the operator (`truncated torn tail ...`).
    var report: [String] = []

    static func run(logDirectory dir: String, writable: Bool) throws -> Recovery {
        var result = Recovery()
        if writable { try FileSystem.makeDirectory(dir) } else if !FileSystem.exists(dir) { return result }
        let names = try FileSystem.list(dir)
        let segments = names.compactMap { name in Segment.firstSeq(fromFileName: name).map { (name, $0) } }
        // Each segment scanned as if the log reached its first seq; the loop checks that it does.
        let scans = Mutex([Result<(FileDescriptor, SegmentScanner.Result), Error>?](repeating: nil, count: segments.count))
        DispatchQueue.concurrentPerform(iterations: segments.count) { i in
            let (name, firstSeq) = segments[i]
            let scanned = Result {
                let file = try FileDescriptor(path: dir + "/" + name, flags: writable ? O_RDWR : O_RDONLY)
                return (file, try SegmentScanner.scan(file, expectedFirstSeq: firstSeq, isLast: i == segments.count - 1))
            }
            scans.withLock { $0[i] = scanned }
        }
        let scanned = scans.withLock { $0 }
        var expected: UInt64 = 1
        for (i, (name, firstSeq)) in segments.enumerated() {
            let path = dir + "/" + name
            guard firstSeq == expected else {
                throw StoreError.corrupt(path, offset: 0, "segment name says it starts at seq \(firstSeq) but the log continues at seq \(expected)")
            }
            let (file, scan) = try scanned[i]!.get()
            if let torn = scan.tornTail {
                let lost = scan.fileLength - scan.validLength
                if writable {
                    if scan.validLength < Segment.headerSize || torn.offset == 0 {
                        try Segment.headerBytes().withUnsafeBytes { (b) throws in try file.write(at: 0, b) }
                    }
                    try file.truncate(to: max(scan.validLength, Segment.headerSize))
                    try file.sync()
                    result.report.append("\(path): truncated a torn tail of \(lost) bytes at byte offset \(torn.offset) (\(torn.reason))")
                } else {
                    result.report.append("\(path): torn tail of \(lost) bytes at byte offset \(torn.offset) (\(torn.reason)); the next writable open truncates it")
                }
            }
            result.parts.append(LogSnapshot.Part(segment: Segment(path: path, firstSeq: firstSeq, file: file), blocks: scan.blocks))
            if let last = scan.blocks.last { expected = last.lastSeq + 1 }
            result.activeLength = max(scan.validLength, Segment.headerSize)
        }
        result.lastSeq = expected - 1
        if writable && result.parts.isEmpty {
            let seg = try Segment.create(directory: dir, firstSeq: 1)
            result.parts.append(LogSnapshot.Part(segment: seg, blocks: []))
        }
        return result
    }
}
