import ThroughlineCore

/// The writer of a node whose log is shared (`SharedLog`): it takes what the commit queue holds
/// and appends it in one transaction (group commit: one per batch, whatever the number of
/// requests in it), then completes the appends with their outcomes. A failed transaction fails
/// only its batch (nothing of it was stored, or, if the connection broke during the commit, it
/// may have been: sending it again is then answered as duplicates with the first seqs); the
/// writer goes on with the next.
final class SharedLogWriter: Sendable {
    private let log: any SharedLog
    private let options: EventStore.Options
    private let follower: LogFollower

    init(log: any SharedLog, options: EventStore.Options, follower: LogFollower) {
        self.log = log
        self.options = options
        self.follower = follower
    }

    func run(_ queue: CommitQueue) {
        while let (batch, _, queuedAfter) = queue.take(maxEvents: options.maxBatchEvents) {
            var all = EncodedBatch()
            for r in batch { all.append(contentsOf: r.events) }
            let ahead = CommitQueue.ahead(of: batch)
            let started = monotonicNanos()
            let outcomes: [AppendOutcome]
            do { outcomes = try log.append(all, ahead: ahead) } catch {
                follower.reached(error.kind == .unavailable ? error.message : nil)
                for r in batch { r.completion(.failure(error)) }
                continue
            }
            follower.reached(nil)
            var report = EventStore.CommitReport()
            report.queuedAfter = queuedAfter
            report.syncSeconds = Double(monotonicNanos() - started) / 1e9
            if outcomes.contains(where: { $0.status == .accepted }) { report.commitSeconds = report.syncSeconds }
            report.tally(outcomes)
            var reached = follower.head
            for o in outcomes { reached.advance(to: o.seq) }
            follower.advance(to: reached)
            var position = 0
            for r in batch {
                r.completion(.success(Array(outcomes[position..<(position + r.events.count)])))
                position += r.events.count
            }
            options.onCommit?(report)
        }
    }
}
