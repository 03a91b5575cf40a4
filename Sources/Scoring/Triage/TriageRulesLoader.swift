import ThroughlineCore
import Yams

extension TriageRules {
    /// Reads a triage rules file's YAML text. Throws a `RulesError` listing every problem with its
    /// line, column and key path, as `Rules.load` does for the health rules.
    public static func load(yaml text: String, file: String) throws -> TriageRules {
        try RulesReader.read(yaml: text, file: file) { $0.triageRules($1) }
    }
}

extension RulesReader {
    mutating func triageRules(_ root: Node) -> TriageRules? {
        guard let f = fields(root, "", required: ["version", "factors", "tiers"], optional: ["description", "base"]) else { return nil }
        let version = string(f["version"], "version")
        let description = string(f["description"], "description")
        var base: Double? = 0
        if let n = f["base"] {
            base = number(n, "base")
            if let b = base, !(0...100).contains(b) {
                note(n, "base", "must be a priority from 0 to 100, not \(NumberText.plain(b))")
                base = nil
            }
        }
        let factors = f["factors"].flatMap { triageFactors($0) }
        let tiers = f["tiers"].flatMap { triageTiers($0) }
        guard let version, let base, let factors, let tiers else { return nil }
        return TriageRules(version: version, description: description, base: base, factors: factors, tiers: tiers)
    }

    mutating func triageFactors(_ node: Node) -> [TriageRules.Factor]? {
        guard case .sequence(let seq) = node, !seq.isEmpty else {
            note(node, "factors", "must be a non-empty list of factors, each with id, points and when")
            return nil
        }
        var out: [TriageRules.Factor] = []
        var seen: [String: Int] = [:]
        for (i, item) in seq.enumerated() {
            let path = "factors[\(i)]"
            guard let r = fields(item, path, required: ["id", "points", "when"], optional: ["description"]) else { continue }
            let id = itemID(r["id"], list: "factors", index: i, seen: &seen)
            var points = number(r["points"], path + ".points")
            if let p = points, !(-100...100).contains(p) || p == 0 {
                note(r["points"]!, path + ".points", "must be points from -100 to 100 other than 0, not \(NumberText.plain(p))")
                points = nil
            }
            let about = string(r["description"], path + ".description")
            let when = r["when"].flatMap { triageWhen($0, path + ".when") }
            if let id, let points, let when { out.append(TriageRules.Factor(id: id, description: about, points: points, when: when)) }
        }
        return out.count == seq.count ? out : nil
    }

    /// `tiers`: a non-empty list of `{name, at_least}`, highest first; the last starts at 0.
    mutating func triageTiers(_ node: Node) -> [TriageRules.Tier]? {
        guard case .sequence(let seq) = node, !seq.isEmpty else {
            note(node, "tiers", "must be a non-empty list of tiers, highest first, each with name and at_least")
            return nil
        }
        var out: [TriageRules.Tier] = []
        for (i, item) in seq.enumerated() {
            let path = "tiers[\(i)]"
            guard let t = fields(item, path, required: ["name", "at_least"], optional: []) else { continue }
            var name = string(t["name"], path + ".name")
            if let n = name, !AlertRules.isRuleID(n) || out.contains(where: { $0.name == n }) {
                note(t["name"]!, path + ".name", AlertRules.isRuleID(n) ? "\(n) is already a tier's name" : "must be 1–64 letters, digits, - or _, not \(n)")
                name = nil
            }
            var at = number(t["at_least"], path + ".at_least")
            if let a = at {
                if !(0...100).contains(a) {
                    note(t["at_least"]!, path + ".at_least", "must be a priority from 0 to 100, not \(NumberText.plain(a))")
                    at = nil
                } else if let above = out.last, a >= above.atLeast {
                    note(t["at_least"]!, path + ".at_least", "must be below the tier above (\(above.name) at \(NumberText.plain(above.atLeast))): tiers go highest first")
                    at = nil
                } else if i == seq.count - 1, a != 0 {
                    note(t["at_least"]!, path + ".at_least", "the last tier must start at 0, so that every ticket has a tier")
                    at = nil
                }
            }
            if let name, let at { out.append(TriageRules.Tier(name: name, atLeast: at)) }
        }
        return out.count == seq.count ? out : nil
    }

    mutating func triageWhen(_ node: Node, _ path: String) -> TriageRules.When? {
        guard let f = fields(node, path, required: [], optional: TriageRules.When.names + AlertRules.Conditions.names) else { return nil }
        var w = TriageRules.When()
        var ok = true
        if let n = f["priority"] {
            w.priorities = names(n, path + ".priority", Priority.self)
            ok = ok && w.priorities != nil
        }
        if let n = f["category"] {
            w.categories = names(n, path + ".category", TicketCategory.self)
            ok = ok && w.categories != nil
        }
        if let n = f["subject_words"] {
            w.subjectWords = strings(n, path + ".subject_words")
            if let words = w.subjectWords, let bad = words.first(where: { SubjectWords($0).isEmpty }) {
                note(n, path + ".subject_words", "\"\(bad)\" has no letters or digits to look for")
                w.subjectWords = nil
            }
            ok = ok && w.subjectWords != nil
        }
        if let n = f["requester_role"] {
            w.requesterRoles = names(n, path + ".requester_role", ContactRole.self)
            ok = ok && w.requesterRoles != nil
        }
        if let n = f["score_drop"] {
            w.scoreDrop = scoreDrop(n, path + ".score_drop")
            ok = ok && w.scoreDrop != nil
        }
        if let n = f["open_tickets"] {
            let at = path + ".open_tickets"
            if let s = fields(n, at, required: ["at_least"], optional: ["priority"]) {
                let priorities = s["priority"].map { names($0, at + ".priority", Priority.self) } ?? Priority.allCases
                let least = s["at_least"].flatMap { whole($0, at + ".at_least", 1...1000, "a number of tickets") }
                if let priorities, let least { w.openTickets = (priorities, least) } else { ok = false }
            } else {
                ok = false
            }
        }
        if let n = f["champion_lost_within_days"] {
            w.championLostWithinDays = whole(n, path + ".champion_lost_within_days", 1...3650, "a number of days")
            ok = ok && w.championLostWithinDays != nil
        }
        guard let account = conditions(fields: f, path) else { return nil }
        w.account = account
        return ok ? w : nil
    }
}
