extension SignalKind { public static let contactCadence = named(ContactCadence.name) }

/// Human contacts (calls, meetings, support replies) per day in the recent window against the
/// account's own rate over the baseline before it, as `RateDrop` reads them: a customer who
/// stops taking the calls it used to take is drifting, whatever its usual cadence is.
struct ContactCadence: SignalDefinition {
    static let name = "contact_cadence"
    static let group = "relationship"
    static let parameters: [SignalParameter] = [.days("recent_days", 60), .days("baseline_days", 180), .amount("full_drop_pct", 75)]

    let rate: RateDrop

    init(_ p: SignalParameters) { rate = RateDrop(p) }

    func read(_ h: AccountHistory, at t: Int64, explain x: Bool) -> SignalOutcome {
        rate.read(h.contacts, t, explain: x, events: "human contacts", missing: "human contact")
    }

    func sweep(_ h: AccountHistory, _ inputs: SweepInputs) -> SweepStep { rate.sweep(h.contacts) }
}
