import Scoring
import ThroughlineCore

/// What the ingest route checks beyond an event's schema: who may append the store's own acts,
/// and that a rules switch carries rules that load.
enum IngestChecks {
    /// The checks for events sent by `principal`.
    static func checks(for principal: Principal?) -> [EventType: (RecordView) -> ValidationError?] {
        var checks: [EventType: (RecordView) -> ValidationError?] = [.rulesActivated: rulesSwitch, .productReleased: release]
        // Forgetting destroys data, a rules switch changes every node's scores, and alerts and triages are the
        // server's own (an admin may record one by hand): an admin's acts (a local user on the socket is one).
        if let principal, !principal.role.may(.administer) {
            for type in [EventType.subjectForgotten, .rulesActivated, .alertFired, .ticketTriaged] {
                let reason = "\(type.rawValue) may be appended by an admin only, and \(principal.label) is a \(principal.role.rawValue)"
                checks[type] = { _ in ValidationError(field: "type", reason) }
            }
        }
        return checks
    }

    /// A release is filed under the product's own account: it is no customer's.
    static func release(_ view: RecordView) -> ValidationError? {
        guard view.account != ProductReleased.account else { return nil }
        return ValidationError(field: "account", "a product.released belongs to no customer: its account must be \"\(ProductReleased.account)\"")
    }

    /// A rules switch is filed under the rules' own account and carries rules that load, of the
    /// version it names.
    static func rulesSwitch(_ view: RecordView) -> ValidationError? {
        guard view.account == RulesActivated.account else {
            return ValidationError(field: "account", "a rules.activated belongs to no customer: its account must be \"\(RulesActivated.account)\"")
        }
        // (Its schema was checked when it was decoded.)
        guard case .rulesActivated(let switched)? = try? view.payload() else { return nil }
        do {
            let rules = try Rules.load(yaml: switched.text, file: "data.text")
            guard rules.version == switched.version else {
                return ValidationError(field: "data.version", "is \(switched.version), but the rules in data.text are version \(rules.version)")
            }
            return nil
        } catch let error as RulesError {
            // Each problem at its line and column of the text.
            return ValidationError(field: "data.text", error.problems.map { "line \($0)" }.joined(separator: "; "))
        } catch {
            return ValidationError(field: "data.text", "\(error)")
        }
    }
}
