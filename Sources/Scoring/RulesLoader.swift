import ThroughlineCore
import Yams

extension Rules {
    /// Reads a rules file's YAML text. Throws a `RulesError` listing every problem with its line,
    /// column and key path (not just the first), so one `rules check` shows all there is to fix.
    public static func load(yaml text: String, file: String) throws -> Rules {
        try RulesReader.read(yaml: text, file: file) { $0.rules($1) }
    }
}

/// Walks the YAML nodes of a rules file (health or alert rules), noting each problem where it is.
struct RulesReader {
    var problems: [RulesProblem] = []

    /// What `body` reads from the YAML text's root, or a `RulesError` with every problem noted
    /// (in the order of their places).
    static func read<T>(yaml text: String, file: String, _ body: (inout RulesReader, Node) -> T?) throws -> T {
        var reader = RulesReader()
        let root: Node?
        do { root = try Yams.compose(yaml: text) } catch let error as YamlError {
            throw RulesError(file: file, problems: [problem(of: error)])
        }
        guard let root else { throw RulesError(file: file, problems: [RulesProblem(line: 1, column: 1, path: "", message: "the file is empty")]) }
        let value = body(&reader, root)
        if let value, reader.problems.isEmpty { return value }
        throw RulesError(file: file, problems: reader.problems.sorted { ($0.line, $0.column) < ($1.line, $1.column) })
    }

    static func problem(of error: YamlError) -> RulesProblem {
        switch error {
        case .scanner(_, let problem, let mark, _), .parser(_, let problem, let mark, _):
            return RulesProblem(line: mark.line, column: mark.column, path: "", message: "not valid YAML: \(problem)")
        default:
            return RulesProblem(line: 1, column: 1, path: "", message: "not valid YAML: \(error)")
        }
    }

    mutating func note(_ node: Node, _ path: String, _ message: String) {
        problems.append(RulesProblem(line: node.mark?.line ?? 1, column: node.mark?.column ?? 1, path: path, message: message))
    }

    /// The mapping's entries by key; unknown keys and missing required ones are problems.
    mutating func fields(_ node: Node, _ path: String, required: [String], optional: [String]) -> [String: Node]? {
        guard case .mapping(let mapping) = node else {
            note(node, path, "must be a mapping of \((required + optional).joined(separator: ", "))")
            return nil
        }
        var out: [String: Node] = [:]
        for (key, value) in mapping {
            guard let name = key.string, required.contains(name) || optional.contains(name) else {
                note(key, path, "unknown key \(key.string ?? "?") (expected \((required + optional).joined(separator: ", ")))")
                continue
            }
            out[name] = value
        }
        for name in required where out[name] == nil { note(node, path, "\(name) is missing") }
        return out
    }

    mutating func string(_ node: Node?, _ path: String) -> String? {
        guard let node else { return nil }
        guard case .scalar(let s) = node, !s.string.isEmpty else {
            note(node, path, "must be a non-empty string")
            return nil
        }
        return s.string
    }

    /// A signal's name, or nil (noted) for an unknown one.
    mutating func signalKind(_ node: Node?, _ path: String) -> SignalKind? {
        guard let node, let name = string(node, path) else { return nil }
        guard let kind = SignalKind(rawValue: name) else {
            note(node, path, "unknown signal \(name) (known: \(SignalKind.names.joined(separator: ", ")))")
            return nil
        }
        return kind
    }

    /// A band's name, or nil (noted) for one that is not green, yellow or red.
    mutating func band(_ node: Node?, _ path: String) -> Band? {
        guard let node, let name = string(node, path) else { return nil }
        guard let band = Band(rawValue: name) else {
            note(node, path, "must be green, yellow or red, not \(name)")
            return nil
        }
        return band
    }

    mutating func number(_ node: Node?, _ path: String) -> Double? {
        guard let node else { return nil }
        guard case .scalar(let s) = node, s.style == .plain, let v = node.float, v.isFinite else {
            note(node, path, "must be a number")
            return nil
        }
        return v
    }

    mutating func rules(_ root: Node) -> Rules? {
        guard let f = fields(root, "", required: ["version", "bands", "signals"], optional: ["description", "caps", "hysteresis"]) else { return nil }
        let version = string(f["version"], "version")
        let description = string(f["description"], "description")
        let bands = bands(f["bands"])
        let signals = signals(f["signals"])
        var caps: [Rules.Cap]? = []
        if let node = f["caps"] { caps = self.caps(node, signals: signals, bands: bands) }
        var hysteresis: Rules.Hysteresis?
        if let node = f["hysteresis"] { hysteresis = self.hysteresis(node) }
        guard let version, let bands, let signals, let caps, f["hysteresis"] == nil || hysteresis != nil else { return nil }
        return Rules(version: version, description: description, signals: signals, bands: bands, caps: caps, hysteresis: hysteresis)
    }

    /// `caps`: each names a signal the file lists, a value from 0 to 1 it must fall below, and a
    /// band of the file other than the highest (a cap there would hold nothing).
    mutating func caps(_ node: Node, signals: [Rules.Signal]?, bands: [Rules.BandRange]?) -> [Rules.Cap]? {
        guard case .sequence(let seq) = node else {
            note(node, "caps", "must be a list of caps, each with signal, below and band")
            return nil
        }
        var out: [Rules.Cap] = []
        for (i, item) in seq.enumerated() {
            let path = "caps[\(i)]"
            guard let f = fields(item, path, required: ["signal", "below", "band"], optional: []) else { continue }
            var kind = signalKind(f["signal"], path + ".signal")
            if let k = kind, let signals, !signals.contains(where: { $0.kind == k }) {
                note(f["signal"]!, path + ".signal", "\(k.rawValue) is not among the file's signals: list it there (a weight of 0 reads it for the cap alone)")
                kind = nil
            }
            var below = number(f["below"], path + ".below")
            if let b = below, !(b > 0 && b <= 1) {
                note(f["below"]!, path + ".below", "must be a signal value above 0 and at most 1, not \(NumberText.plain(b))")
                below = nil
            }
            var band = self.band(f["band"], path + ".band")
            if let b = band, let bands, let top = bands.max(by: { $0.min < $1.min }) {
                if !bands.contains(where: { $0.band == b }) {
                    note(f["band"]!, path + ".band", "the file has no \(b.rawValue) band")
                    band = nil
                } else if top.band == b {
                    note(f["band"]!, path + ".band", "\(b.rawValue) is the highest band: a cap there holds nothing")
                    band = nil
                }
            }
            if let kind, let below, let band { out.append(Rules.Cap(signal: kind, below: below, band: band)) }
        }
        return out.count == seq.count ? out : nil
    }

    /// `hysteresis`: `days` (1 to 90) a score must stay outside the band in force before the band
    /// follows it, and optionally a `margin` (points ≥ 0) beyond the band's edge that moves it at once.
    mutating func hysteresis(_ node: Node) -> Rules.Hysteresis? {
        guard let f = fields(node, "hysteresis", required: ["days"], optional: ["margin"]) else { return nil }
        var days = number(f["days"], "hysteresis.days").flatMap { d -> Int? in
            guard d == d.rounded(), d >= 1, d <= 90 else {
                note(f["days"]!, "hysteresis.days", "must be a whole number of days from 1 to 90, not \(NumberText.plain(d))")
                return nil
            }
            return Int(d)
        }
        let margin = number(f["margin"], "hysteresis.margin")
        if let m = margin, m < 0 {
            note(f["margin"]!, "hysteresis.margin", "must be ≥ 0 points, not \(NumberText.plain(m))")
            days = nil
        }
        guard let days, f["margin"] == nil || margin != nil else { return nil }
        return Rules.Hysteresis(days: days, margin: margin)
    }

    mutating func signals(_ node: Node?) -> [Rules.Signal]? {
        guard let node else { return nil }
        guard case .sequence(let seq) = node, !seq.isEmpty else {
            note(node, "signals", "must be a non-empty list of signals")
            return nil
        }
        var out: [Rules.Signal] = []
        var seen: [SignalKind: Int] = [:]
        var ok = true
        for (i, item) in seq.enumerated() {
            let path = "signals[\(i)]"
            guard let f = fields(item, path, required: ["signal", "weight", "group"], optional: ["params"]) else {
                ok = false
                continue
            }
            let kind = signalKind(f["signal"], path + ".signal")
            if let kind, let first = seen[kind] {
                note(item, path, "\(kind.rawValue) is already weighed by signals[\(first)]")
                ok = false
            }
            var weight = number(f["weight"], path + ".weight")
            if let w = weight, w < 0 {
                note(f["weight"]!, path + ".weight", "must be ≥ 0, not \(NumberText.plain(w))")
                weight = nil
            }
            let group = string(f["group"], path + ".group")
            var parameters: [String: Double] = [:]
            if let kind {
                seen[kind] = i
                for p in kind.parameters { parameters[p.name] = p.defaultValue }
                if let params = f["params"], let given = self.parameters(params, path + ".params", kind) {
                    parameters.merge(given) { $1 }
                } else if f["params"] != nil {
                    ok = false
                }
            }
            guard let kind, let weight, let group else {
                ok = false
                continue
            }
            out.append(Rules.Signal(kind: kind, weight: weight, group: group, parameters: parameters))
        }
        if ok && out.allSatisfy({ $0.weight == 0 }) {
            note(node, "signals", "at least one signal needs a weight above 0")
            return nil
        }
        return ok ? out : nil
    }

    mutating func parameters(_ node: Node, _ path: String, _ kind: SignalKind) -> [String: Double]? {
        let names = kind.parameters.map(\.name)
        guard let f = fields(node, path, required: [], optional: names) else { return nil }
        var out: [String: Double] = [:]
        var ok = true
        for p in kind.parameters {
            guard let n = f[p.name] else { continue }
            guard let v = number(n, path + "." + p.name) else {
                ok = false
                continue
            }
            if let why = p.problem(v) {
                note(n, path + "." + p.name, "\(why), not \(NumberText.plain(v))")
                ok = false
            }
            out[p.name] = v
        }
        return ok ? out : nil
    }

    mutating func bands(_ node: Node?) -> [Rules.BandRange]? {
        guard let node else { return nil }
        guard case .sequence(let seq) = node, !seq.isEmpty else {
            note(node, "bands", "must be a list of bands, each with band, min and max")
            return nil
        }
        var out: [(Rules.BandRange, Node)] = []
        for (i, item) in seq.enumerated() {
            let path = "bands[\(i)]"
            guard let f = fields(item, path, required: ["band", "min", "max"], optional: []) else { continue }
            let band = self.band(f["band"], path + ".band")
            let lo = number(f["min"], path + ".min"), hi = number(f["max"], path + ".max")
            guard let band, let lo, let hi else { continue }
            guard lo >= 0, hi <= 100, lo < hi else {
                note(item, path, "min and max must satisfy 0 ≤ min < max ≤ 100, not \(NumberText.plain(lo)) and \(NumberText.plain(hi))")
                continue
            }
            if let other = out.firstIndex(where: { $0.0.band == band }) {
                note(item, path, "band \(band.rawValue) is already given by bands[\(other)]")
                continue
            }
            out.append((Rules.BandRange(band: band, min: lo, max: hi), item))
        }
        guard out.count == seq.count else { return nil }
        let sorted = out.sorted { $0.0.min < $1.0.min }
        var ok = true
        if sorted[0].0.min != 0 {
            note(sorted[0].1, "bands", "no band covers scores from 0 to \(NumberText.plain(sorted[0].0.min))")
            ok = false
        }
        for (a, b) in zip(sorted, sorted.dropFirst()) where a.0.max != b.0.min {
            let what = a.0.max > b.0.min
                ? "\(a.0.band.rawValue) (\(NumberText.plain(a.0.min))–\(NumberText.plain(a.0.max))) overlaps \(b.0.band.rawValue) (\(NumberText.plain(b.0.min))–\(NumberText.plain(b.0.max)))"
                : "no band covers scores from \(NumberText.plain(a.0.max)) to \(NumberText.plain(b.0.min))"
            note(b.1, "bands", what)
            ok = false
        }
        if let last = sorted.last, last.0.max != 100 {
            note(last.1, "bands", "no band covers scores from \(NumberText.plain(last.0.max)) to 100")
            ok = false
        }
        return ok ? sorted.map(\.0) : nil
    }
}
