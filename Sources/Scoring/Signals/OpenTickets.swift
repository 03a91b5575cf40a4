import ThroughlineCore

extension SignalKind { public static let openTickets = named(OpenTickets.name) }

/// The open tickets' load, weighted by priority: 1 without open tickets, falling linearly to 0
/// at a load of `full_load`.
struct OpenTickets: SignalDefinition {
    static let name = "open_tickets"
    static let parameters: [SignalParameter] = Priority.allCases.map { .amount($0.rawValue, defaultWeight($0)) } + [.amount("full_load", 8)]

    /// A priority's weight unless the rules say otherwise.
    static func defaultWeight(_ p: Priority) -> Double {
        switch p {
        case .urgent: 4
        case .high: 2
        case .normal: 1
        case .low: 0.5
        }
    }

    /// The weights by priority, in `Priority.allCases` order.
    let weights: [Double]
    let full: Double

    init(_ p: SignalParameters) {
        weights = Priority.allCases.map { p.amount($0.rawValue) }
        full = p.amount("full_load")
    }

    var readsTicketChanges: Bool { true }

    /// A priority's place in `Priority.allCases` (a ticket without one counts as normal).
    static func slot(_ p: Priority?) -> Int {
        switch p ?? .normal {
        case .urgent: 0
        case .high: 1
        case .normal: 2
        case .low: 3
        }
    }

    /// The weighted load from how many tickets are open at each priority, and its value.
    func load(_ counts: [Int]) -> (load: Double, value: Double) {
        var load = 0.0
        for i in counts.indices { load += Double(counts[i]) * weights[i] }
        return (load, full > 0 ? max(0, 1 - load / full) : (load > 0 ? 0 : 1))
    }

    func read(_ h: AccountHistory, at t: Int64, explain x: Bool) -> SignalOutcome {
        let open = h.openTicketPriorities(at: t)
        var counts = [Int](repeating: 0, count: Priority.allCases.count)
        for ticket in open { counts[Self.slot(ticket.priority)] += 1 }
        let (load, value) = load(counts)
        let text = Priority.allCases.compactMap { pr in counts[Self.slot(pr)] > 0 ? "\(counts[Self.slot(pr)]) \(pr.rawValue)" : nil }.joined(separator: ", ")
        return Signals.reading(x, value: value,
                               figures: [Signals.figure("open", Double(open.count)), Signals.figure("weighted_load", load)],
                               reason: open.isEmpty ? "no open tickets" : "\(open.count) open (\(text)), weighted load \(NumberText.plain(load))",
                               seqs: h.openTicketSeqs(at: t))
    }

    func sweep(_ h: AccountHistory, _ inputs: SweepInputs) -> SweepStep {
        precondition(inputs.tickets, "sweep inputs worked out for rules that do not weigh open tickets")
        return Step(self, inputs.ticketChanges, tickets: h.ticketCount)
    }

    /// Carries each ticket's state and how many are open at each priority from one day to the
    /// next, applying the tickets' state changes in time order.
    final class Step: SweepStep {
        private let signal: OpenTickets, changes: [TicketTable.Change]
        private var applied = 0
        private var state: [TicketTable.State]
        private var openCounts = [Int](repeating: 0, count: Priority.allCases.count)

        init(_ signal: OpenTickets, _ changes: [TicketTable.Change], tickets: Int) {
            self.signal = signal
            self.changes = changes
            state = Array(repeating: (false, nil), count: tickets)
        }

        override func value(day d: Int, at t: Int64) -> Double? {
            while applied < changes.count && changes[applied].time <= t {
                let c = changes[applied]
                let old = state[c.ticket]
                if old.open { openCounts[OpenTickets.slot(old.priority)] -= 1 }
                if c.open { openCounts[OpenTickets.slot(c.priority)] += 1 }
                state[c.ticket] = (c.open, c.priority)
                applied += 1
            }
            return signal.load(openCounts).value
        }
    }
}
