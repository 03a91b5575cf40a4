// ingest-bench: a load client for `throughline serve`, like pgbench for PostgreSQL. It reads
// NDJSON events from a file, sends them over the server's Unix socket (or TCP) from several
// keep-alive connections in requests of a fixed number of events, and reports acknowledged
// events/s and request latency percentiles (every answer is durable when it arrives).
//
//   ingest-bench --socket DATA/throughline.sock --file events.ndjson \
//       [--connections 4] [--events-per-request 1000] [--limit N] [--json]
// With `--get PATH` (repeatable, used in turn) it measures reads instead: `--requests N` GETs
// from each connection, reporting requests/s and latency percentiles.
// Over `--tcp`, `$THROUGHLINE_TOKEN` is sent as a bearer token (a listener that asks for sign-in).
import BenchSupport
import Foundation
import ThroughlineClient
import ThroughlineCore

struct Options {
    var address: ServerAddress?
    var file = ""
    var connections = 4
    var eventsPerRequest = 1000
    var limit = Int.max
    var json = false
    var gets: [String] = []
    var requests = 1000

    static func parse(_ args: [String]) -> Options {
        var o = Options()
        readOptions(args, fail: fail) { name, value in
            switch name {
            case "--socket": o.address = .unix(value())
            case "--tcp":
                let v = value()
                guard let c = v.lastIndex(of: ":"), let port = Int(v[v.index(after: c)...]) else { fail("--tcp: HOST:PORT") }
                o.address = .tcp(host: String(v[..<c]), port: port, token: ProcessInfo.processInfo.environment["THROUGHLINE_TOKEN"])
            case "--file": o.file = value()
            case "--connections": o.connections = Int(value()) ?? 0
            case "--events-per-request": o.eventsPerRequest = Int(value()) ?? 0
            case "--limit": o.limit = Int(value()) ?? 0
            case "--json": o.json = true
            case "--get": o.gets.append(value())
            case "--requests": o.requests = Int(value()) ?? 0
            default: fail("unknown argument \(name)")
            }
        }
        guard o.address != nil, !o.file.isEmpty || !o.gets.isEmpty, o.connections > 0, o.eventsPerRequest > 0, o.limit > 0 else {
            fail("usage: ingest-bench --socket PATH|--tcp HOST:PORT --file EVENTS.ndjson [--connections N] [--events-per-request N] [--limit N] [--json]")
        }
        return o
    }
}

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data(("ingest-bench: " + message + "\n").utf8))
    exit(2)
}

/// Hands out request bodies of `perRequest` lines, read from the file as they are needed.
actor RequestSource {
    private let handle: FileHandle
    private var splitter = LineSplitter()
    private var ready: [(body: [UInt8], events: Int)] = []
    private var taken = 0
    private var pending: [UInt8] = []
    private var pendingLines = 0
    private var lines = 0
    private var done = false
    let perRequest: Int
    let limit: Int

    init(path: String, perRequest: Int, limit: Int) {
        guard let h = FileHandle(forReadingAtPath: path) else { fail("cannot open \(path)") }
        handle = h
        self.perRequest = perRequest
        self.limit = limit
    }

    func next() -> (body: [UInt8], events: Int)? {
        if taken == ready.count {
            ready.removeAll(keepingCapacity: true)
            taken = 0
        }
        while ready.isEmpty && !done {
            let chunk = handle.readData(ofLength: 1 << 20)
            let take: (Int, LineSplitter.Line) -> Void = { _, line in
                guard case .text(let bytes) = line, !bytes.isEmpty, self.lines < self.limit else { return }
                self.pending.append(contentsOf: bytes)
                self.pending.append(0x0A)
                self.lines += 1
                self.pendingLines += 1
                if self.pendingLines == self.perRequest {
                    self.ready.append((self.pending, self.pendingLines))
                    self.pending.removeAll(keepingCapacity: true)
                    self.pendingLines = 0
                }
            }
            if chunk.isEmpty || lines >= limit {
                splitter.finish(take)
                if !pending.isEmpty { ready.append((pending, pendingLines)) }
                pending = []
                done = true
            } else {
                chunk.withUnsafeBytes { splitter.feed($0, take) }
            }
        }
        guard taken < ready.count else { return nil }
        defer { taken += 1 }
        return ready[taken]
    }
}

struct ConnectionResult: Sendable {
    var events = 0
    var requests = 0
    var latencies: [Double] = []
    var statuses: [Int: Int] = [:]
}

let options = Options.parse(Array(CommandLine.arguments.dropFirst()))
let source: RequestSource? = options.gets.isEmpty ? RequestSource(path: options.file, perRequest: options.eventsPerRequest, limit: options.limit) : nil
let address = options.address!
let clock = ContinuousClock()
let start = clock.now
let results = try await withThrowingTaskGroup(of: ConnectionResult.self) { group in
    for connection in 0..<options.connections {
        group.addTask {
            try await HTTPConnection.open(address) { c in
                var r = ConnectionResult()
                if source == nil {
                    for i in 0..<options.requests {
                        let path = options.gets[(i + connection) % options.gets.count]
                        let t0 = clock.now
                        let reply = try await c.request("GET", path)
                        let dt = clock.now - t0
                        r.latencies.append(Double(dt.components.seconds) * 1e3 + Double(dt.components.attoseconds) / 1e15)
                        r.statuses[reply.status, default: 0] += 1
                        r.requests += 1
                    }
                    return r
                }
                while let (body, events) = await source!.next() {
                    let t0 = clock.now
                    let reply = try await c.request("POST", "/v1/events", headers: [("Content-Type", "application/x-ndjson")], body: body)
                    let dt = clock.now - t0
                    r.latencies.append(Double(dt.components.seconds) * 1e3 + Double(dt.components.attoseconds) / 1e15)
                    r.statuses[reply.status, default: 0] += 1
                    r.requests += 1
                    if reply.status == 200 { r.events += events }
                }
                return r
            }
        }
    }
    var all: [ConnectionResult] = []
    for try await r in group { all.append(r) }
    return all
}
let elapsed = clock.now - start
let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
let latencies = results.flatMap(\.latencies).sorted()
let events = results.reduce(0) { $0 + $1.events }
var statuses: [Int: Int] = [:]
for r in results { statuses.merge(r.statuses, uniquingKeysWith: +) }
func percentile(_ p: Double) -> Double {
    guard !latencies.isEmpty else { return 0 }
    return latencies[min(latencies.count - 1, Int((Double(latencies.count) * p).rounded(.up)) - 1)]
}
func ms(_ v: Double) -> String { String(format: "%.3f", v) }
let rate = Double(events) / seconds
if options.json {
    let statusJSON = statuses.keys.sorted().map { "\"\($0)\":\(statuses[$0]!)" }.joined(separator: ",")
    print("""
    {"connections":\(options.connections),"events_per_request":\(options.eventsPerRequest),"events":\(events),\
    "requests":\(latencies.count),"seconds":\(ms(seconds)),"events_per_second":\(Int(rate)),\
    "latency_ms":{"p50":\(ms(percentile(0.5))),"p90":\(ms(percentile(0.9))),"p99":\(ms(percentile(0.99))),\
    "p999":\(ms(percentile(0.999))),"max":\(ms(latencies.last ?? 0))},"statuses":{\(statusJSON)}}
    """)
} else {
    if options.gets.isEmpty {
        print("connections \(options.connections), \(options.eventsPerRequest) events per request")
        print("acknowledged \(events) events in \(latencies.count) requests over \(ms(seconds)) s: \(Int(rate)) events/s")
    } else {
        print("connections \(options.connections), GET \(options.gets.count) paths in turn")
        print("\(latencies.count) requests over \(ms(seconds)) s: \(Int(Double(latencies.count) / seconds)) requests/s")
    }
    print("request latency ms: p50 \(ms(percentile(0.5)))  p90 \(ms(percentile(0.9)))  p99 \(ms(percentile(0.99)))  p99.9 \(ms(percentile(0.999)))  max \(ms(latencies.last ?? 0))")
    print("statuses: " + statuses.keys.sorted().map { "\($0): \(statuses[$0]!)" }.joined(separator: ", "))
}
