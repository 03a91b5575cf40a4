// stream-bench: subscribers for `throughline serve`'s event stream, compiled so that the measure is
// the server's and not the client's. It opens N streams (`GET /v1/events/stream`) over the Unix
// socket, one thread each, and for every event each stream receives, takes the time from the
// event's `recorded` stamp (taken at commit, after the stream opened) to the moment its bytes were read here, on the first
// stream (the others are served the same shared chunks; they only read). The first stream stops
// once it has received TOTAL events, the others with it. Prints p50, p99 and max.
//
//   stream-bench --socket DATA/throughline.sock --streams 20 --events TOTAL [--query 'types=ticket.opened']
import BenchSupport
import Foundation
import ThroughlineCore
#if canImport(Glibc)
import Glibc
#endif

struct Options {
    var socket = ""
    var streams = 20
    var events = 0
    var query = ""

    static func parse(_ args: [String]) -> Options {
        var o = Options()
        readOptions(args, fail: fail) { name, value in
            switch name {
            case "--socket": o.socket = value()
            case "--streams": o.streams = Int(value()) ?? 0
            case "--events": o.events = Int(value()) ?? 0
            case "--query": o.query = value()
            default: fail("unknown argument \(name)")
            }
        }
        guard !o.socket.isEmpty, o.streams > 0, o.events > 0 else {
            fail("usage: stream-bench --socket PATH --streams N --events TOTAL [--query Q]")
        }
        return o
    }
}

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data(("stream-bench: " + message + "\n").utf8))
    exit(2)
}

/// Microseconds since the epoch, now.
func nowMicros() -> Int64 {
    var ts = timespec()
    clock_gettime(CLOCK_REALTIME, &ts)
    return Int64(ts.tv_sec) * 1_000_000 + Int64(ts.tv_nsec) / 1000
}

/// A connected Unix socket, or the reason it is not.
func connect(_ path: String) -> Int32 {
    let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { fail("socket: \(String(cString: strerror(errno)))") }
    var address = sockaddr_un()
    address.sun_family = sa_family_t(AF_UNIX)
    let bytes = Array(path.utf8)
    guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else { fail("\(path): the path is too long for a socket") }
    withUnsafeMutableBytes(of: &address.sun_path) { raw in
        for (i, b) in bytes.enumerated() { raw[i] = b }
    }
    let done = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
    }
    guard done == 0 else { fail("\(path): \(String(cString: strerror(errno)))") }
    return fd
}

/// Set once the measuring stream has all its events: the others then stop.
nonisolated(unsafe) var measured = false

/// One stream: reads until `total` events arrived (or the server closed). The measuring one
/// returns each event's delay in microseconds; the others only read (as a consumer that keeps up
/// would) until the measuring one is done, so that the client's own work stays small beside the
/// server's.
func stream(_ options: Options, measure: Bool) -> [Int64] {
    let fd = connect(options.socket)
    defer { close(fd) }
    let extra = options.query.isEmpty ? "" : "&" + options.query
    let request = Array("GET /v1/events/stream?after=0&heartbeat=5\(extra) HTTP/1.1\r\nHost: localhost\r\n\r\n".utf8)
    guard request.withUnsafeBytes({ send(fd, $0.baseAddress, $0.count, 0) }) == request.count else { fail("could not send the request") }
    var buffer = [UInt8](repeating: 0, count: 1 << 20)
    guard measure else {
        var timeout = timeval(tv_sec: 0, tv_usec: 200_000)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        while !measured {
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR) { break }
        }
        return []
    }
    let marker = Array("\"recorded\":\"".utf8)
    var delays: [Int64] = []
    delays.reserveCapacity(options.events)
    var pending: [UInt8] = []
    // Events committed before the stream opened are counted but not timed (they waited for it).
    let opened = nowMicros()
    var received = 0
    while received < options.events {
        let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        guard n > 0 else { break }
        let arrived = nowMicros()
        pending.append(contentsOf: buffer[0..<n])
        var consumed = 0
        pending.withUnsafeBytes { b in
            let base = b.baseAddress!
            while consumed < b.count, let nl = memchr(base + consumed, 0x0A, b.count - consumed) {
                let end = base.distance(to: UnsafeRawPointer(nl))
                let line = UnsafeRawBufferPointer(rebasing: b[consumed..<end])
                consumed = end + 1
                guard line.count > 6, line[0] == UInt8(ascii: "d"), line[4] == UInt8(ascii: ":"),
                      let at = find(marker, in: line) else { continue }
                let start = at + marker.count
                guard let close = memchr(line.baseAddress! + start, 0x22, line.count - start) else { continue }
                let stop = line.baseAddress!.distance(to: UnsafeRawPointer(close))
                received += 1
                if let t = Timestamp(rfc3339: String(decoding: UnsafeRawBufferPointer(rebasing: line[start..<stop]), as: UTF8.self)),
                   t.microseconds >= opened {
                    delays.append(arrived - t.microseconds)
                }
            }
        }
        pending.removeSubrange(0..<consumed)
    }
    return delays
}

/// Where `needle` starts in `line` (each of its first byte found with memchr, then compared).
func find(_ needle: [UInt8], in line: UnsafeRawBufferPointer) -> Int? {
    var from = 0
    while from + needle.count <= line.count, let q = memchr(line.baseAddress! + from, Int32(needle[0]), line.count - from) {
        let at = line.baseAddress!.distance(to: UnsafeRawPointer(q))
        guard at + needle.count <= line.count else { return nil }
        if memcmp(line.baseAddress! + at, needle, needle.count) == 0 { return at }
        from = at + 1
    }
    return nil
}

let options = Options.parse(Array(CommandLine.arguments.dropFirst()))
let lock = NSLock()
nonisolated(unsafe) var collected = Array<[Int64]>(repeating: [], count: options.streams)
nonisolated(unsafe) var finished = 0
let threads = (0..<options.streams).map { i in
    Thread {
        let delays = stream(options, measure: i == 0)
        lock.lock()
        if i == 0 { measured = true }
        collected[i] = delays
        finished += 1
        lock.unlock()
    }
}
for t in threads {
    t.stackSize = 1 << 20
    t.start()
}
while true {
    lock.lock()
    let done = finished == options.streams
    lock.unlock()
    if done { break }
    usleep(50_000)
}
func percentile(_ sorted: [Int64], _ p: Double) -> Double {
    guard !sorted.isEmpty else { return .nan }
    return Double(sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))]) / 1000
}
let all = collected[0].sorted()
print(String(format: "   commit to subscriber (%d events, %d streams): p50 %.1f ms, p99 %.1f ms, max %.1f ms",
             all.count, options.streams, percentile(all, 0.5), percentile(all, 0.99), Double(all.last ?? 0) / 1000))
