/// One signal a rules file can weigh, defined in one place (a file of its own): the parameters
/// it takes, typed and read once when the rules load; its explained reading of a history at a
/// time; and the step that gives the same value at the end of each day in turn, for a score
/// history. The value is a health reading from 0 (at risk) to 1 (healthy), or none (neutral).
protocol SignalDefinition: Sendable {
    /// The name rules files give it.
    static var name: String { get }
    /// The group a rules file that does not name the signal (one `rules fit` writes) puts it in.
    static var group: String { get }
    /// The parameters it takes, in the order `schemas/rules.md` lists them.
    static var parameters: [SignalParameter] { get }
    /// The signal with a rules file's values (already checked against `parameters`).
    init(_ values: SignalParameters)
    /// The reading of `h` at `t`; with `explain: false` only the value (the same arithmetic),
    /// without figures, reasons or seqs.
    func read(_ h: AccountHistory, at t: Int64, explain: Bool) -> SignalOutcome
    /// A step that gives, at the end of each day asked in increasing order, the value `read`
    /// gives there.
    func sweep(_ h: AccountHistory, _ inputs: SweepInputs) -> SweepStep
    /// How many days of usage up to a day the signal reads (0: it reads no usage).
    var usageDays: Int { get }
    /// Whether its sweep needs the tickets' state changes (`SweepInputs.ticketChanges`).
    var readsTicketChanges: Bool { get }
}

extension SignalDefinition {
    static var group: String { "other" }
    var usageDays: Int { 0 }
    var readsTicketChanges: Bool { false }
}

/// A signal's state across a sweep over the days: asked for the value at the end of each day in
/// increasing order, it applies only the facts since the day before. Each signal's step is a
/// subclass (a class, not a protocol, so the day loop can call it without counting references).
class SweepStep {
    func value(day d: Int, at t: Int64) -> Double? { preconditionFailure("a sweep step answers value(day:at:)") }
}

/// One parameter a signal takes: its name, the values it may take and its default.
public struct SignalParameter: Sendable, Equatable {
    public enum Kind: Sendable {
        /// A whole number of days, 1 to 730.
        case days
        /// A number ≥ 0 (a percentage, a penalty, a weight per priority).
        case amount
    }

    public let name: String
    public let kind: Kind
    public let defaultValue: Double

    static func days(_ name: String, _ d: Int) -> SignalParameter { SignalParameter(name: name, kind: .days, defaultValue: Double(d)) }
    static func amount(_ name: String, _ d: Double) -> SignalParameter { SignalParameter(name: name, kind: .amount, defaultValue: d) }

    /// Why `value` is not allowed, or nil.
    func problem(_ value: Double) -> String? {
        switch kind {
        case .days:
            value == value.rounded() && value >= 1 && value <= 730 ? nil : "must be a whole number of days from 1 to 730"
        case .amount:
            value.isFinite && value >= 0 ? nil : "must be a number ≥ 0"
        }
    }
}

/// A signal's parameter values as a rules file gives them, over the defaults, for the signal to
/// read into its typed fields. A name the signal does not declare, or read as the other kind,
/// is a mistake in the signal's own file: it stops the program rather than reading as 0.
struct SignalParameters {
    let declared: [SignalParameter]
    let given: [String: Double]

    /// A whole number of days.
    func days(_ name: String) -> Int { Int(value(name, .days)) }

    /// An amount.
    func amount(_ name: String) -> Double { value(name, .amount) }

    private func value(_ name: String, _ kind: SignalParameter.Kind) -> Double {
        guard let p = declared.first(where: { $0.name == name }), p.kind == kind else {
            preconditionFailure("the signal reads \(name), which it does not declare as \(kind)")
        }
        return given[name] ?? p.defaultValue
    }
}
