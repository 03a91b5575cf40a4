import ThroughlineCore
import Yams

extension AlertRules {
    /// Reads an alert rules file's YAML text. Throws a `RulesError` listing every problem with its
    /// line, column and key path, as `Rules.load` does for the health rules.
    public static func load(yaml text: String, file: String) throws -> AlertRules {
        try RulesReader.read(yaml: text, file: file) { $0.alertRules($1) }
    }
}

extension RulesReader {
    mutating func alertRules(_ root: Node) -> AlertRules? {
        guard let f = fields(root, "", required: ["version", "rules"], optional: ["description", "webhooks"]) else { return nil }
        let version = string(f["version"], "version")
        let description = string(f["description"], "description")
        let (webhooks, webhookNames) = f["webhooks"].map { self.webhooks($0) } ?? ([], [])
        guard let node = f["rules"] else { return nil }
        guard case .sequence(let seq) = node, !seq.isEmpty else {
            note(node, "rules", "must be a non-empty list of rules, each with id, trigger and (optionally) conditions")
            return nil
        }
        var out: [AlertRules.Rule] = []
        var seen: [String: Int] = [:]
        for (i, item) in seq.enumerated() {
            let path = "rules[\(i)]"
            guard let r = fields(item, path, required: ["id", "trigger"], optional: ["description", "conditions", "notify", "task"]) else { continue }
            let id = itemID(r["id"], list: "rules", index: i, seen: &seen)
            let about = string(r["description"], path + ".description")
            let trigger = r["trigger"].flatMap { self.trigger($0, path + ".trigger") }
            var conditions: AlertRules.Conditions? = AlertRules.Conditions()
            if let c = r["conditions"] { conditions = self.conditions(c, path + ".conditions") }
            var notify: [String]? = []
            if let n = r["notify"], let names = items(n, path + ".notify") {
                for (name, at) in names where !webhookNames.contains(name) {
                    note(at, path + ".notify", "no webhook is named \(name) (webhooks: \(webhookNames.joined(separator: ", ")))")
                    notify = nil
                }
                if notify != nil { notify = names.map(\.text) }
            } else if r["notify"] != nil {
                notify = nil
            }
            let task = r["task"].map { self.task($0, path + ".task") }
            if let id, let trigger, let conditions, let notify, task ?? nil != nil || r["task"] == nil {
                out.append(AlertRules.Rule(id: id, description: about, trigger: trigger, conditions: conditions, notify: notify, task: task ?? nil))
            }
        }
        guard let version, let webhooks, out.count == seq.count else { return nil }
        return AlertRules(version: version, description: description, rules: out, webhooks: webhooks)
    }

    /// The id of item `index` of `list` (`rules[2].id`): 1–64 letters, digits, `-` or `_`, and
    /// not the id of an earlier item (`seen`, which it joins); nil, noted, otherwise.
    mutating func itemID(_ node: Node?, list: String, index: Int, seen: inout [String: Int]) -> String? {
        let path = "\(list)[\(index)].id"
        guard let given = string(node, path), let node else { return nil }
        if !AlertRules.isRuleID(given) {
            note(node, path, "must be 1–64 letters, digits, - or _, not \(given)")
            return nil
        }
        if let first = seen[given] {
            note(node, path, "\(given) is already the id of \(list)[\(first)]")
            return nil
        }
        seen[given] = index
        return given
    }

    /// `webhooks`: each with a name (unique), an http or https URL with a host, and optionally
    /// the environment variable holding its signing secret.
    /// Also returns every name given, valid or not, for the rules' `notify` to be checked against.
    mutating func webhooks(_ node: Node) -> ([AlertRules.Webhook]?, [String]) {
        guard case .sequence(let seq) = node else {
            note(node, "webhooks", "must be a list of webhooks, each with name, url and (optionally) secret_env")
            return (nil, [])
        }
        var out: [AlertRules.Webhook] = []
        var names: [String] = []
        for (i, item) in seq.enumerated() {
            let path = "webhooks[\(i)]"
            guard let f = fields(item, path, required: ["name", "url"], optional: ["secret_env"]) else { continue }
            var name = string(f["name"], path + ".name")
            if let n = name, !AlertRules.isRuleID(n) || names.contains(n) {
                note(f["name"]!, path + ".name", AlertRules.isRuleID(n) ? "\(n) is already a webhook's name" : "must be 1–64 letters, digits, - or _, not \(n)")
                name = nil
            }
            if let n = name { names.append(n) }
            var url = string(f["url"], path + ".url")
            if let u = url, let why = AlertRules.Webhook.problem(url: u) {
                note(f["url"]!, path + ".url", why)
                url = nil
            }
            var secret = string(f["secret_env"], path + ".secret_env")
            if let s = secret, !s.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }) {
                note(f["secret_env"]!, path + ".secret_env", "must be the name of an environment variable (letters, digits, _), not \(s)")
                secret = nil
            }
            guard let name, let url, f["secret_env"] == nil || secret != nil else { continue }
            out.append(AlertRules.Webhook(name: name, url: url, secretEnv: secret))
        }
        return (out.count == seq.count ? out : nil, names)
    }

    /// `task: {title, due_days (0–365, default 3), assignee (a name, or csm: the account's CSM, the default)}`.
    mutating func task(_ node: Node, _ path: String) -> AlertRules.TaskSpec? {
        guard let f = fields(node, path, required: ["title"], optional: ["due_days", "assignee"]) else { return nil }
        var title = string(f["title"], path + ".title")
        if let t = title, t.count > 500 {
            note(f["title"]!, path + ".title", "must be at most 500 characters")
            title = nil
        }
        let due = f["due_days"].map { whole($0, path + ".due_days", 0...365, "a number of days") } ?? 3
        let assignee = f["assignee"].map { string($0, path + ".assignee") } ?? "csm"
        guard let title, let due, let assignee else { return nil }
        return AlertRules.TaskSpec(title: title, dueDays: due, assignee: assignee == "csm" ? nil : assignee)
    }

    /// A mapping with one key, the trigger's kind, whose value gives its settings.
    mutating func trigger(_ node: Node, _ path: String) -> AlertRules.Trigger? {
        let kinds = AlertRules.Trigger.names
        guard case .mapping(let m) = node, m.count == 1, let (key, value) = m.first else {
            note(node, path, "must be a mapping with one of \(kinds.joined(separator: ", ")) as its only key")
            return nil
        }
        let name = key.string ?? "?"
        let at = path + "." + name
        switch name {
        case "band_change":
            guard let f = fields(value, at, required: [], optional: ["to", "drop"]) else { return nil }
            guard f["to"] != nil || f["drop"] != nil else {
                note(value, at, "needs to (a band), drop (a number of bands) or both")
                return nil
            }
            let to = f["to"].flatMap { band($0, at + ".to") }
            let drop = f["drop"].flatMap { whole($0, at + ".drop", 1...2, "a number of bands") }
            guard f["to"] == nil || to != nil, f["drop"] == nil || drop != nil else { return nil }
            return .bandChange(to: to, drop: drop)
        case "score_drop":
            guard let (points, days) = scoreDrop(value, at) else { return nil }
            return .scoreDrop(points: points, days: days)
        case "flag":
            guard let given = string(value, at) else { return nil }
            guard let flag = ContextView.Flag(rawValue: given) else {
                note(value, at, "unknown flag \(given) (known: \(ContextView.Flag.allCases.map(\.rawValue).joined(separator: ", ")))")
                return nil
            }
            return .flag(flag)
        case "ticket_opened":
            guard let f = fields(value, at, required: [], optional: ["priority", "category"]) else { return nil }
            let priorities = f["priority"] == nil ? Priority.allCases : names(f["priority"]!, at + ".priority", Priority.self)
            let categories = f["category"].flatMap { names($0, at + ".category", TicketCategory.self) }
            guard let priorities, f["category"] == nil || categories != nil else { return nil }
            return .ticketOpened(priorities: priorities, categories: categories)
        case "pattern":
            if case .scalar(let v) = value, v.string.isEmpty || v.string == "~" || v.string == "null" { return .pattern(metrics: nil, direction: nil) }
            guard let f = fields(value, at, required: [], optional: ["metric", "direction"]) else { return nil }
            let metrics = f["metric"].flatMap { strings($0, at + ".metric") }
            var direction = f["direction"].flatMap { string($0, at + ".direction") }
            if let d = direction, d != "up" && d != "down" {
                note(f["direction"]!, at + ".direction", "must be up or down, not \(d)")
                direction = nil
            }
            guard f["metric"] == nil || metrics != nil, f["direction"] == nil || direction != nil else { return nil }
            return .pattern(metrics: metrics, direction: direction)
        case "champion_left":
            if case .scalar(let s) = value, s.string.isEmpty || s.string == "~" || s.string == "null" { return .championLeft }
            guard fields(value, at, required: [], optional: []) != nil else { return nil }
            return .championLeft
        default:
            note(key, path, "unknown trigger \(name) (known: \(kinds.joined(separator: ", ")))")
            return nil
        }
    }

    mutating func conditions(_ node: Node, _ path: String) -> AlertRules.Conditions? {
        guard let f = fields(node, path, required: [], optional: AlertRules.Conditions.names) else { return nil }
        return conditions(fields: f, path)
    }

    /// The account conditions among a mapping's entries `f` (other keys are left to the caller).
    mutating func conditions(fields f: [String: Node], _ path: String) -> AlertRules.Conditions? {
        var c = AlertRules.Conditions()
        var ok = true
        if let n = f["plan"] {
            c.plans = strings(n, path + ".plan")
            ok = ok && c.plans != nil
        }
        for (key, lowest) in [("arr_at_least", 0.0), ("arr_below", 0.0)] {
            guard let n = f[key] else { continue }
            guard let v = number(n, path + "." + key), v >= lowest else {
                if case .scalar = n, let v = n.float { note(n, path + "." + key, "must be an amount ≥ 0, not \(NumberText.plain(v))") }
                ok = false
                continue
            }
            if key == "arr_at_least" { c.arrAtLeast = v } else { c.arrBelow = v }
        }
        if let n = f["renewal_within_days"] {
            c.renewalWithinDays = whole(n, path + ".renewal_within_days", 0...3650, "a number of days")
            ok = ok && c.renewalWithinDays != nil
        }
        if let n = f["band"] {
            let bands = names(n, path + ".band", Band.self)
            c.bands = bands
            ok = ok && bands != nil
        }
        if let n = f["signal_below"] {
            guard case .mapping(let m) = n, !m.isEmpty else {
                note(n, path + ".signal_below", "must be a mapping of signal names to values from 0 to 1 (usage_trend: 0.5)")
                return nil
            }
            for (key, value) in m {
                let at = path + ".signal_below." + (key.string ?? "?")
                let kind = signalKind(key, path + ".signal_below")
                var below = number(value, at)
                if let b = below, !(b > 0 && b <= 1) {
                    note(value, at, "must be a signal value above 0 and at most 1, not \(NumberText.plain(b))")
                    below = nil
                }
                if let kind, let below { c.signalsBelow.append(.init(signal: kind, below: below)) } else { ok = false }
            }
        }
        return ok ? c : nil
    }

    /// A fall of the score: `points` (above 0, at most 100) within `days` (1 to 365), as alert
    /// triggers and triage factors take it; nil, with each problem noted, otherwise.
    mutating func scoreDrop(_ node: Node, _ at: String) -> (points: Double, days: Int)? {
        guard let f = fields(node, at, required: ["points", "days"], optional: []) else { return nil }
        var points = number(f["points"], at + ".points")
        if let p = points, !(p > 0 && p <= 100) {
            note(f["points"]!, at + ".points", "must be a number of points above 0 and at most 100, not \(NumberText.plain(p))")
            points = nil
        }
        let days = f["days"].flatMap { whole($0, at + ".days", 1...365, "a number of days") }
        guard let points, let days else { return nil }
        return (points, days)
    }

    /// A whole number within `range`, or nil (noted).
    mutating func whole(_ node: Node, _ path: String, _ range: ClosedRange<Int>, _ what: String) -> Int? {
        guard let v = number(node, path) else { return nil }
        guard v == v.rounded(), v >= Double(range.lowerBound), v <= Double(range.upperBound) else {
            note(node, path, "must be \(what), a whole number from \(range.lowerBound) to \(range.upperBound), not \(NumberText.plain(v))")
            return nil
        }
        return Int(v)
    }

    /// One string or a non-empty list of them.
    mutating func strings(_ node: Node, _ path: String) -> [String]? { items(node, path).map { $0.map(\.text) } }

    /// One name or a list of names of `T`'s values, each a known one (an unknown one is noted where it is).
    mutating func names<T: RawRepresentable & CaseIterable>(_ node: Node, _ path: String, _ type: T.Type) -> [T]? where T.RawValue == String {
        guard let given = items(node, path) else { return nil }
        var out: [T] = []
        for (text, at) in given {
            guard let v = T(rawValue: text) else {
                note(at, path, "unknown value \(text) (known: \(T.allCases.map(\.rawValue).joined(separator: ", ")))")
                continue
            }
            out.append(v)
        }
        return out.count == given.count ? out : nil
    }

    /// One string or a non-empty list of them, each with its node.
    mutating func items(_ node: Node, _ path: String) -> [(text: String, node: Node)]? {
        if case .scalar = node { return string(node, path).map { [($0, node)] } }
        guard case .sequence(let seq) = node, !seq.isEmpty else {
            note(node, path, "must be a name or a non-empty list of names")
            return nil
        }
        let out = seq.enumerated().compactMap { i, n in string(n, "\(path)[\(i)]").map { ($0, n) } }
        return out.count == seq.count ? out : nil
    }
}

extension AlertRules.Webhook {
    /// Why `url` cannot be a webhook's address, or nil: it must parse, be http or https, name a
    /// host, and carry no user or password (the secret signs; it is not sent).
    public static func problem(url: String) -> String? {
        guard let c = URLParts(url) else { return "\(url) is not a URL (http://host[:port]/path or https://…)" }
        guard c.scheme == "http" || c.scheme == "https" else { return "\(url): the scheme must be http or https, not \(c.scheme)" }
        guard !c.host.isEmpty else { return "\(url) names no host" }
        guard !c.userinfo else { return "\(url) carries a user or password; give the secret with secret_env instead" }
        if let p = c.port, !(1...65535).contains(p) { return "\(url): the port must be 1–65535" }
        return nil
    }
}

/// The parts of an absolute URL a webhook needs (pure, without Foundation).
struct URLParts {
    var scheme: String
    var host: String
    var port: Int?
    var userinfo: Bool

    init?(_ text: String) {
        guard let sep = text.range(of: "://"), !text.contains(where: { $0 == " " || $0.asciiValue.map { $0 < 0x21 || $0 == 0x7F } ?? false }) else { return nil }
        scheme = text[..<sep.lowerBound].lowercased()
        guard !scheme.isEmpty, scheme.allSatisfy({ $0.isLetter || $0.isNumber || "+-.".contains($0) }) else { return nil }
        let rest = text[sep.upperBound...]
        let authority = rest.prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        userinfo = authority.contains("@")
        let hostPort = authority.split(separator: "@").last.map(String.init) ?? ""
        if hostPort.hasPrefix("[") {
            guard let end = hostPort.firstIndex(of: "]") else { return nil }
            host = String(hostPort[hostPort.index(after: hostPort.startIndex)..<end])
            let tail = hostPort[hostPort.index(after: end)...]
            if tail.isEmpty { port = nil } else if tail.hasPrefix(":"), let p = Int(tail.dropFirst()) { port = p } else { return nil }
        } else if let colon = hostPort.lastIndex(of: ":") {
            host = String(hostPort[..<colon])
            guard let p = Int(hostPort[hostPort.index(after: colon)...]) else { return nil }
            port = p
        } else {
            host = hostPort
            port = nil
        }
    }
}

extension AlertRules {
    static func isRuleID(_ s: String) -> Bool {
        !s.isEmpty && s.utf8.count <= 64 && s.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }
    }
}
