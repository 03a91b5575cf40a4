import EventLog
import Foundation
import Logging
import Projections
import Scoring
import ThroughlineCore

extension ThroughlineServer {
    /// `serve --rules FILE`: unless the read models score with the file's version already (active,
    /// or being scored over all history), appends a `rules.activated`, which this node and every
    /// other node following the log apply. The read models first catch up with the log, so that
    /// the choice is made on what the log says now. A version that was active before and has
    /// been replaced is not switched back to by a restart with an old file (`rules activate` does
    /// that).
    static func switchRules(to rules: Rules, text: String, store: EventStore, projector: Projector, clock: WallClock, logger: Logger) throws {
        func known() throws -> StoredRules? { try projector.store.storedRules().first { $0.version == rules.version } }
        if try known() == nil { try projector.catchUp(store.snapshot()) }
        if let stored = try known() {
            guard stored.rules == rules else { throw ServerError(.options, ProjectionStore.otherContents(rules.version)) }
            switch stored.state {
            case .active: logger.info("scoring with the active rules", metadata: ["rules": "\(rules.version)"])
            case .pending: logger.notice("these rules are being scored over all history; they become active when done", metadata: ["rules": "\(rules.version)"])
            case .retired:
                let active = (try? projector.store.activeRules()) ?? "?"
                logger.warning("these rules were replaced; the node goes on with the active rules (`throughline rules activate FILE` switches back)",
                               metadata: ["rules": "\(rules.version)", "active": "\(active)"])
            }
            return
        }
        let event = RulesActivated.event(version: rules.version, text: text, actor: "serve --rules", micros: clock.now())
        let outcome = try store.appendAndWait(EncodedBatch([EncodedEvent(event)]))
        logger.notice("new rules: switched on every node from this seq; all history is scored with them in the background and the earlier rules stay active until then",
                      metadata: ["rules": "\(rules.version)", "seq": "\(outcome[0].seq)"])
    }
}
