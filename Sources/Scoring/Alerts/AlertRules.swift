import ThroughlineCore

/// An alert rules file: its version and the rules that turn a change in an account into an
/// `alert.fired`. Like the health rules, a pure input: the alerts a log gives under a version
/// are a function of the log, the health rules and this file (`AlertEngine`).
public struct AlertRules: Sendable, Equatable {
    public var version: String
    public var description: String?
    public var rules: [Rule]
    /// Where firings are delivered: the endpoints the rules name in `notify`.
    public var webhooks: [Webhook]

    public init(version: String, description: String? = nil, rules: [Rule], webhooks: [Webhook] = []) {
        (self.version, self.description, self.rules, self.webhooks) = (version, description, rules, webhooks)
    }

    /// Whether a rule fires on cohort patterns (which the alerter finds once a week is over).
    public var firesOnPatterns: Bool { rules.contains { if case .pattern = $0.trigger { true } else { false } } }

    /// The event types whose arrival may fire one of the rules at once (`Trigger.firedBy`).
    public var firedBy: Set<EventType> { rules.reduce(into: []) { $0.formUnion($1.trigger.firedBy) } }

    /// Those of `firedBy` whose firing the event itself makes (a ticket, a change of champion),
    /// which may fire before the read models hold it (`AlertLogReader`); a flag is raised by
    /// the context view of the read models, so it waits for them.
    public var firedByEventAlone: Set<EventType> {
        rules.reduce(into: []) { out, rule in
            if case .flag = rule.trigger { return }
            out.formUnion(rule.trigger.firedBy)
        }
    }

    /// Whether an event at `time` appended at `recorded` arrives as it happens (of the day it was
    /// appended or the day before), and so may fire a rule at once; history loaded later does not.
    public static func arrivesLive(time: Int64, recorded: Int64) -> Bool {
        Day(containing: time).number >= Day(containing: recorded).number - 1
    }

    /// An endpoint that receives each firing of the rules that name it as a JSON POST.
    public struct Webhook: Sendable, Equatable {
        public var name: String
        /// An http or https URL with a host.
        public var url: String
        /// The environment variable holding the secret the body is signed with (HMAC-SHA256), if any.
        public var secretEnv: String?

        public init(name: String, url: String, secretEnv: String? = nil) { (self.name, self.url, self.secretEnv) = (name, url, secretEnv) }
    }

    /// The webhooks a firing of `rule` goes to.
    public func endpoints(of rule: String) -> [Webhook] {
        guard let r = rules.first(where: { $0.id == rule }) else { return [] }
        return webhooks.filter { r.notify.contains($0.name) }
    }

    public struct Rule: Sendable, Equatable {
        /// Names the rule in every firing (and in the firing's id): letters, digits, `-`, `_`.
        public var id: String
        public var description: String?
        public var trigger: Trigger
        public var conditions: Conditions
        /// The webhooks (by name) each firing is delivered to.
        public var notify: [String]
        /// The task each firing opens, if any.
        public var task: TaskSpec?

        public init(id: String, description: String? = nil, trigger: Trigger, conditions: Conditions = Conditions(), notify: [String] = [],
                    task: TaskSpec? = nil) {
            (self.id, self.description, self.trigger, self.conditions, self.notify, self.task) = (id, description, trigger, conditions, notify, task)
        }
    }

    /// A task a firing opens (`task.opened`): its title, due `dueDays` after the firing's day,
    /// for `assignee` (nil: the account's CSM as the profile named them then).
    public struct TaskSpec: Sendable, Equatable {
        public var title: String
        public var dueDays: Int
        public var assignee: String?

        public init(title: String, dueDays: Int = 3, assignee: String? = nil) { (self.title, self.dueDays, self.assignee) = (title, dueDays, assignee) }
    }

    /// What makes a rule fire: a change seen at a day's end (band, score, attention flag) or an
    /// event (a ticket opened, a champion lost).
    public enum Trigger: Sendable, Equatable {
        /// The band in force changed to `to` (any band if nil), or fell by `drop` bands or more.
        case bandChange(to: Band?, drop: Int?)
        /// The score is `points` or more below its highest of the `days` days before.
        case scoreDrop(points: Double, days: Int)
        /// The context view raised the flag (it was not raised the day before).
        case flag(ContextView.Flag)
        /// A ticket opened with one of `priorities` (and one of `categories`, if given).
        case ticketOpened(priorities: [Priority], categories: [TicketCategory]?)
        /// The champion left the company, their sentiment fell, or the profile named another.
        case championLeft
        /// The account is one of a cohort that moved together (`CohortPatterns`), in a metric
        /// named by one of `metrics` (or one of its kinds: `tickets` takes `tickets:bug`; any if
        /// nil), the way `direction` says (either if nil); it fires at the end of the move's first week.
        case pattern(metrics: [String]?, direction: String?)

        public var name: String {
            switch self {
            case .bandChange: "band_change"
            case .scoreDrop: "score_drop"
            case .flag: "flag"
            case .ticketOpened: "ticket_opened"
            case .championLeft: "champion_left"
            case .pattern: "pattern"
            }
        }

        public static let names = ["band_change", "score_drop", "flag", "ticket_opened", "champion_left", "pattern"]

        /// The event types whose arrival may fire the trigger before the account is scored again
        /// (band changes and score drops wait for the scores).
        public var firedBy: Set<EventType> {
            switch self {
            case .bandChange, .scoreDrop, .pattern: []
            case .ticketOpened: [.ticketOpened]
            case .championLeft: [.accountUpdated, .contactUpdated, .callCompleted]
            case .flag: Set(EventType.allCases)
            }
        }
    }

    /// What must also hold when the trigger fires, from the account as it stood then. Every
    /// condition given must hold.
    public struct Conditions: Sendable, Equatable {
        public var plans: [String]?
        public var arrAtLeast: Double?
        public var arrBelow: Double?
        /// The renewal date is at most this many days away (and not past).
        public var renewalWithinDays: Int?
        /// The band in force that day.
        public var bands: [Band]?
        /// Each signal's health value (0–1, with its default parameters) is below the figure.
        public var signalsBelow: [SignalBelow]

        public struct SignalBelow: Sendable, Equatable {
            public var signal: SignalKind
            public var below: Double

            public init(signal: SignalKind, below: Double) { (self.signal, self.below) = (signal, below) }
        }

        public init(plans: [String]? = nil, arrAtLeast: Double? = nil, arrBelow: Double? = nil, renewalWithinDays: Int? = nil,
                    bands: [Band]? = nil, signalsBelow: [SignalBelow] = []) {
            (self.plans, self.arrAtLeast, self.arrBelow, self.renewalWithinDays, self.bands, self.signalsBelow)
                = (plans, arrAtLeast, arrBelow, renewalWithinDays, bands, signalsBelow)
        }

        public static let names = ["plan", "arr_at_least", "arr_below", "renewal_within_days", "band", "signal_below"]
    }
}
