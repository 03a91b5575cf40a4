import ThroughlineCore

extension SignalKind { public static let milestones = named(Milestones.name) }

/// Each milestone's latest word: 1 less `overdue_penalty` for each one still planned after its
/// due date and `missed_penalty` for each one missed, down to 0; neutral without milestones.
struct Milestones: SignalDefinition {
    static let name = "milestones"
    static let parameters: [SignalParameter] = [.amount("overdue_penalty", 0.25), .amount("missed_penalty", 0.5)]

    let overdue: Double, missed: Double

    init(_ p: SignalParameters) {
        overdue = p.amount("overdue_penalty")
        missed = p.amount("missed_penalty")
    }

    /// A milestone still planned after its due date (as its latest fact says) is overdue on day `d`.
    static func isOverdue(_ m: MilestoneUpdated, on d: Int) -> Bool { m.status == .planned && (m.dueDate.map { $0.daysSinceEpoch < d } ?? false) }

    func value(overdue late: Int, missed lost: Int) -> Double { max(0, 1 - Double(late) * overdue - Double(lost) * missed) }

    func read(_ h: AccountHistory, at t: Int64, explain x: Bool) -> SignalOutcome {
        // Each milestone's latest fact (few per account: a list beats a dictionary here).
        var latest: [Fact<MilestoneUpdated>] = []
        for f in h.milestones.upTo(t) {
            if let i = latest.firstIndex(where: { $0.value.milestone == f.value.milestone }) { latest[i] = f } else { latest.append(f) }
        }
        guard !latest.isEmpty else { return Signals.missing(x, "no milestones") }
        let d = Day(containing: t).number
        let isLate = { (f: Fact<MilestoneUpdated>) in Self.isOverdue(f.value, on: d) }
        let isLost = { (f: Fact<MilestoneUpdated>) in f.value.status == .missed }
        let lateCount = latest.lazy.filter(isLate).count, lostCount = latest.lazy.filter(isLost).count
        func reason() -> String {
            let names = { (l: [Fact<MilestoneUpdated>]) in l.map(\.value.milestone).sorted().joined(separator: ", ") }
            var reason = "\(latest.count) milestones"
            if lateCount > 0 { reason += ", overdue: \(names(latest.filter(isLate)))" }
            if lostCount > 0 { reason += ", missed: \(names(latest.filter(isLost)))" }
            return reason
        }
        return Signals.reading(x, value: value(overdue: lateCount, missed: lostCount),
                               figures: [Signals.figure("overdue", Double(lateCount)), Signals.figure("missed", Double(lostCount))],
                               reason: reason(), seqs: latest.filter { isLate($0) || isLost($0) }.map(\.seq).sorted())
    }

    func sweep(_ h: AccountHistory, _ inputs: SweepInputs) -> SweepStep { Step(self, h.milestones.items) }

    /// Carries each milestone's latest word from one day to the next.
    final class Step: SweepStep {
        private let signal: Milestones, facts: [Fact<MilestoneUpdated>]
        private var applied = 0
        private var latest: [MilestoneUpdated] = []

        init(_ signal: Milestones, _ facts: [Fact<MilestoneUpdated>]) {
            self.signal = signal
            self.facts = facts
        }

        override func value(day d: Int, at t: Int64) -> Double? {
            while applied < facts.count && facts[applied].time <= t {
                let m = facts[applied].value
                if let i = latest.firstIndex(where: { $0.milestone == m.milestone }) { latest[i] = m } else { latest.append(m) }
                applied += 1
            }
            guard !latest.isEmpty else { return nil }
            var overdue = 0, missed = 0
            for m in latest {
                if Milestones.isOverdue(m, on: d) { overdue += 1 }
                if m.status == .missed { missed += 1 }
            }
            return signal.value(overdue: overdue, missed: missed)
        }
    }
}
