import ThroughlineCore

/// An account's score at the end of each day in turn, equal to `Score.value` there (tests hold
/// them equal on generated and on random histories) but computed as one sweep over the days:
/// each weighed signal's sweep step (defined with the signal) carries its state from one day to
/// the next, applying only the facts of the new day instead of folding every fact again.
struct DaySweep {
    private let weights: [Double]
    /// The steps, kept alive here; and the same steps as the day loop calls them, without
    /// counting references on every call (`owned` outlives them: both live as long as the sweep).
    private let owned: [SweepStep]
    private let steps: [Unmanaged<SweepStep>]
    private var readings: [(Double, Double)] = []
    private var lastDay = Int.min
    private let rules: Rules
    /// The step of each signal a cap names.
    private let capped: [SignalKind: Int]
    private var values: [Double?]

    init(_ h: AccountHistory, rules: Rules, inputs: SweepInputs? = nil) {
        let inputs = inputs ?? SweepInputs(h, for: [rules])
        let read = rules.read
        self.rules = rules
        weights = read.map(\.weight)
        owned = read.map { $0.definition.sweep(h, inputs) }
        steps = owned.map { Unmanaged.passUnretained($0) }
        capped = Dictionary(rules.caps.compactMap { c in read.firstIndex { $0.kind == c.signal }.map { (c.signal, $0) } }) { a, _ in a }
        values = Array(repeating: nil, count: read.count)
        readings.reserveCapacity(steps.count)
    }

    /// Each read signal's value at the end of day `d` (nil: no input), in the rules' order.
    /// Days are asked in increasing order.
    mutating func values(day d: Int) -> [Double?] {
        let t = moveOn(to: d)
        return steps.indices.map { value(step: $0, day: d, at: t) }
    }

    /// The score at the end of day `d`, held down by a cap that applies. Days are asked in
    /// increasing order.
    mutating func score(day d: Int) -> Double? {
        let t = moveOn(to: d)
        readings.removeAll(keepingCapacity: true)
        for i in steps.indices {
            let v = value(step: i, day: d, at: t)
            values[i] = v
            if let v, weights[i] > 0 { readings.append((weights[i], v)) }
        }
        guard let score = Score.combine(readings) else { return nil }
        guard !capped.isEmpty else { return score }
        return rules.cap(score) { kind in capped[kind].flatMap { values[$0] } }?.score ?? score
    }

    /// Moves the sweep to day `d` (later than the last day asked); the day's last microsecond.
    private mutating func moveOn(to d: Int) -> Int64 {
        precondition(d > lastDay, "a sweep goes forward")
        lastDay = d
        return Day(d).end
    }

    /// Step `i`'s value, called without retaining the step.
    private func value(step i: Int, day d: Int, at t: Int64) -> Double? {
        steps[i]._withUnsafeGuaranteedRef { $0.value(day: d, at: t) }
    }
}

/// What a sweep reads of a history under any rules: the usage summary, and the tickets' state
/// changes in time order (only if some rules weigh a signal that reads them). Worked out once
/// for an account that several rules versions score.
public struct SweepInputs {
    let usage: UsageSummary
    let ticketChanges: [TicketTable.Change]
    let tickets: Bool

    public init(_ h: AccountHistory, for rules: [Rules]) {
        usage = UsageSummary(h)
        tickets = rules.contains { $0.read.contains { $0.definition.readsTicketChanges } }
        ticketChanges = tickets ? h.ticketStateChanges() : []
    }
}
