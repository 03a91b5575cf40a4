/// What the conditions of a rule found: a text for each and the events behind them, kept only
/// when someone will read them. A shadow-mode replay asks only whether conditions hold, and is
/// spared composing a text and a list of seqs per condition per ticket.
struct Findings {
    /// Whether texts and seqs are kept (false: only whether conditions held matters).
    let keeps: Bool
    private(set) var texts: [String] = []
    private(set) var seqs: [UInt64] = []

    init(keeps: Bool) { self.keeps = keeps }

    /// A condition held: what it found and the events behind it.
    mutating func note(_ text: @autoclosure () -> String, _ seqs: @autoclosure () -> [UInt64] = []) {
        guard keeps else { return }
        texts.append(text())
        self.seqs += seqs()
    }

    /// Events behind conditions already noted.
    mutating func cite(_ seqs: @autoclosure () -> [UInt64]) {
        guard keeps else { return }
        self.seqs += seqs()
    }
}
