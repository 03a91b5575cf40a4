import CoreMetrics
import EventLog
import Metrics
import NIOCore
import Projections
import Prometheus

/// The server's metrics, through swift-metrics into its own Prometheus registry (one per server,
/// so two servers in one process never share counters). `GET /metrics` renders `registry`.
final class ServerMetrics: Sendable {
    let registry = PrometheusCollectorRegistry()
    private let factory: PrometheusMetricsFactory
    private let accepted, duplicate, conflict, rejected: CoreMetrics.Counter
    private let bytes: CoreMetrics.Counter
    private let batchEvents: CoreMetrics.Recorder
    private let fsync: CoreMetrics.Timer
    private let commitDuration: CoreMetrics.Timer
    private let streamDelayTimer: CoreMetrics.Timer
    private let queueDepth: CoreMetrics.Gauge
    private let waitingRequests: CoreMetrics.Gauge
    private let busy: CoreMetrics.Counter
    private let projectionLag: CoreMetrics.Gauge

    init() {
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.valueHistogramBuckets["throughline_commit_batch_events"] = [1, 2, 4, 8, 16, 64, 256, 1024, 4096, 16384, 65536]
        factory.durationHistogramBuckets["throughline_fsync_seconds"] = [
            .microseconds(100), .microseconds(250), .microseconds(500), .milliseconds(1), .milliseconds(2),
            .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100), .seconds(1),
        ]
        factory.durationHistogramBuckets["throughline_commit_seconds"] = [
            .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10), .milliseconds(25),
            .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1),
        ]
        factory.durationHistogramBuckets["throughline_stream_delay_seconds"] = [
            .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10), .milliseconds(25),
            .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(5),
        ]
        factory.durationHistogramBuckets["throughline_request_duration_seconds"] = [
            .milliseconds(1), .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50),
            .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(5), .seconds(30),
        ]
        self.factory = factory
        func appended(_ status: String) -> CoreMetrics.Counter {
            CoreMetrics.Counter(label: "throughline_events_appended_total", dimensions: [("status", status)], factory: factory)
        }
        accepted = appended("accepted")
        duplicate = appended("duplicate")
        conflict = appended("conflict")
        rejected = appended("rejected")
        bytes = CoreMetrics.Counter(label: "throughline_appended_bytes_total", factory: factory)
        batchEvents = CoreMetrics.Recorder(label: "throughline_commit_batch_events", aggregate: true, factory: factory)
        fsync = CoreMetrics.Timer(label: "throughline_fsync_seconds", factory: factory)
        commitDuration = CoreMetrics.Timer(label: "throughline_commit_seconds", factory: factory)
        streamDelayTimer = CoreMetrics.Timer(label: "throughline_stream_delay_seconds", factory: factory)
        queueDepth = CoreMetrics.Gauge(label: "throughline_queue_depth_events", factory: factory)
        waitingRequests = CoreMetrics.Gauge(label: "throughline_ingest_requests_waiting", factory: factory)
        busy = CoreMetrics.Counter(label: "throughline_ingest_refused_busy_total", factory: factory)
        projectionLag = CoreMetrics.Gauge(label: "throughline_projection_lag_events", factory: factory)
    }

    /// Records one group commit (called on the writer thread).
    func commit(_ r: EventStore.CommitReport) {
        accepted.increment(by: r.accepted)
        duplicate.increment(by: r.duplicate)
        conflict.increment(by: r.conflict)
        bytes.increment(by: r.bytesWritten)
        batchEvents.record(r.events)
        if r.bytesWritten > 0 { fsync.recordNanoseconds(Int64(r.syncSeconds * 1e9)) }
        if r.commitSeconds > 0 { commitDuration.recordNanoseconds(Int64(r.commitSeconds * 1e9)) }
        queueDepth.record(r.queuedAfter)
    }

    /// How long after the log made an event visible a stream wrote it to its consumer (the
    /// first event of each stretch a stream sends, when it was among the latest commits).
    func streamDelay(_ d: Duration) {
        streamDelayTimer.recordNanoseconds(TimeAmount(d).nanoseconds)
    }

    /// Events committed to the log but not yet applied to the read models.
    func projected(applied: UInt64, last: UInt64) { projectionLag.record(Int(last &- min(applied, last))) }

    /// The state of a worker (projector, scorer), as one gauge per state that is 1 for the
    /// current one: `throughline_worker_state{worker="projector",state="stopped"} 1` is the alert.
    func worker(_ name: String, _ state: Worker.State) {
        for s in Worker.State.names {
            CoreMetrics.Gauge(label: "throughline_worker_state", dimensions: [("worker", name), ("state", s)], factory: factory)
                .record(s == state.name ? 1 : 0)
        }
    }

    func rejectedLines(_ n: Int) { if n > 0 { rejected.increment(by: n) } }
    func waiting(_ n: Int) { waitingRequests.record(n) }
    func refusedBusy() { busy.increment() }

    func request(method: String, route: String, status: Int, nanoseconds: UInt64) {
        CoreMetrics.Timer(label: "throughline_request_duration_seconds",
                      dimensions: [("method", method), ("route", route), ("status", String(status))], factory: factory)
            .recordNanoseconds(Int64(nanoseconds))
    }

    /// The Prometheus text exposition of every metric.
    func render(queueDepth depth: Int, lag: (applied: UInt64, last: UInt64)) -> [UInt8] {
        queueDepth.record(depth)
        projected(applied: lag.applied, last: lag.last)
        var out: [UInt8] = []
        registry.emit(into: &out)
        return out
    }
}
