import ThroughlineCore

extension Rules {
    /// The rules as a rules file (YAML) that `Rules.load` reads back to the same rules: the
    /// description as a block, bands and signals one per line with every parameter, and
    /// `comment` (provenance, figures) as comment lines at the top.
    public func yaml(comment: [String] = []) -> String {
        func scalar(_ s: String) -> String {
            s.allSatisfy { $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" || $0 == "." } && !s.isEmpty ? s : JSONWriter.string(.string(s))
        }
        var out = comment.map { "# " + $0 + "\n" }.joined()
        out += "version: \(scalar(version))\n"
        if let description {
            out += "description: |-\n" + description.split(separator: "\n", omittingEmptySubsequences: false).map { "  " + $0 + "\n" }.joined()
        }
        out += "\nbands:\n"
        for b in bands { out += "  - {band: \(b.band.rawValue), min: \(NumberText.plain(b.min)), max: \(NumberText.plain(b.max))}\n" }
        out += "\nsignals:\n"
        for s in signals {
            let params = s.kind.parameters.map { "\($0.name): \(NumberText.plain(s.parameters[$0.name] ?? $0.defaultValue))" }.joined(separator: ", ")
            out += "  - {signal: \(s.kind.rawValue), group: \(scalar(s.group)), weight: \(NumberText.plain(s.weight)), params: {\(params)}}\n"
        }
        if !caps.isEmpty {
            out += "\ncaps:\n"
            for c in caps { out += "  - {signal: \(c.signal.rawValue), below: \(NumberText.plain(c.below)), band: \(c.band.rawValue)}\n" }
        }
        if let h = hysteresis {
            out += "\nhysteresis: {days: \(h.days)\(h.margin.map { ", margin: \(NumberText.plain($0))" } ?? "")}\n"
        }
        return out
    }
}
