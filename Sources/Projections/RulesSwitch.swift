import GRDB
import Scoring
import ThroughlineCore

/// A `rules.activated` of the log: from it on, the read models score with its rules. Being an
/// event, a switch reaches every node that follows the log, and a rebuild makes it again.
struct RulesSwitch: Sendable {
    var seq: UInt64
    var version: String
    var text: String

    /// The switch `view` is, if it is one.
    init?(_ view: RecordView) {
        guard view.type == .rulesActivated, case .rulesActivated(let r)? = try? view.unsealed().payload() else { return nil }
        (seq, version, text) = (view.seq, r.version, r.text)
    }

    /// The switch's rules, or why they cannot be switched to (the text does not load, or names
    /// another version than the event).
    func rules() -> Result<Rules, ReadModelError> {
        do {
            let rules = try ProjectionStore.parsed(text, version)
            guard rules.version == version else {
                return .failure(ReadModelError(.invalidArgument, "rules.activated names version \(version), but its text is version \(rules.version)"))
            }
            return .success(rules)
        } catch {
            return .failure(ReadModelError(.invalidArgument, "rules.activated \(version): \(error)"))
        }
    }

    /// Applies the switch to the read models (`ProjectionStore.activate`); a switch that cannot be
    /// applied is filed as a projection error, and the rules stay as they were.
    func apply(_ db: Database, _ rows: inout RowList) throws {
        do {
            _ = try ProjectionStore.activate(db, try rules().get(), text: text)
        } catch let error as ReadModelError where error.kind == .invalidArgument {
            refused(error, &rows)
        }
    }

    /// Files why the switch was not made.
    func refused(_ error: ReadModelError, _ rows: inout RowList) {
        rows.put(.projectionError, Int64(seq), RulesActivated.account, error.message)
    }

    /// The versions a rebuild starts from, once `switches` are applied in order to `stored`: each
    /// switched-to version active (a rebuild scores it over all history), the one before retired.
    /// A switch that cannot be made is filed in `rows`, as the projector files it.
    static func applied(_ switches: [RulesSwitch], to stored: [StoredRules], refused rows: inout RowList) -> [StoredRules] {
        var versions = stored
        for s in switches {
            let rules: Rules
            switch s.rules() {
            case .failure(let error):
                s.refused(error, &rows)
                continue
            case .success(let r): rules = r
            }
            if versions.contains(where: { $0.version == s.version && $0.rules != rules }) {
                s.refused(ReadModelError(.invalidArgument, ProjectionStore.otherContents(s.version)), &rows)
                continue
            }
            if versions.contains(where: { $0.version == s.version && $0.state == .active }) { continue }
            versions.removeAll { $0.version == s.version || $0.state == .pending }
            for i in versions.indices where versions[i].state == .active { versions[i].state = .retired }
            versions.insert(StoredRules(rules: rules, text: s.text, state: .active), at: 0)
        }
        return versions
    }
}
