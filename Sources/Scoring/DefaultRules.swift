import ThroughlineCore

/// The rules a store scores with until an operator names others (`serve --rules FILE`): the
/// shipped `rules/health-v1.yaml`, carried in the binary (a test checks the two are the same).
public enum DefaultRules {
    public static let file = "rules/health-v1.yaml"

    public static let text = #"""
# Throughline health rules, version 1: a starting point for a customer-success team.
# A score is 0-100: each signal gives a value from 0 (at risk) to 1 (healthy), times its
# weight, over the weights of the signals that had input. A signal without input (no usage
# data yet, no survey answered) is neutral: it is left out, and the score says so.
# Check a changed copy with `throughline rules check FILE`.
version: health-v1
description: Balanced default. Adoption weighs most, then support load and the relationship.

bands:
  - {band: red, min: 0, max: 40}
  - {band: yellow, min: 40, max: 70}
  - {band: green, min: 70, max: 100}

signals:
  # Daily active users over the last 7 days against the 28 before. Healthy when flat or up;
  # 0 when down by full_drop_pct or more. The earliest sign of an account drifting away.
  - signal: usage_trend
    group: adoption
    weight: 20
    params: {recent_days: 7, baseline_days: 28, full_drop_pct: 50}

  # Most active users on a day in the window against the seats bought. 1 at healthy_pct.
  # Shelfware is renewal risk even when the users who remain are happy.
  - signal: seat_utilisation
    group: adoption
    weight: 10
    params: {window_days: 7, healthy_pct: 80}

  # Distinct features used in the last 28 days against the same window 90 days ago.
  # An account narrowing to one feature is easier to replace.
  - signal: feature_breadth_change
    group: adoption
    weight: 10
    params: {window_days: 28, lookback_days: 90, full_drop_pct: 50}

  # Open tickets weighted by priority; 0 once the weighted load reaches full_load.
  - signal: open_tickets
    group: support
    weight: 12
    params: {urgent: 4, high: 2, normal: 1, low: 0.5, full_load: 8}

  # Tickets opened in the last 30 days against the 90-day rate. A rising volume means
  # friction; 0 when it doubles (full_rise_pct 100).
  - signal: ticket_volume_trend
    group: support
    weight: 6
    params: {recent_days: 30, baseline_days: 90, full_rise_pct: 100}

  # Questions and how-to tickets in the last 30 days against the 90-day rate. Customers
  # who stop asking have often stopped trying: a fall is the risk here, not a rise.
  - signal: question_rate_trend
    group: support
    weight: 6
    params: {recent_days: 30, baseline_days: 90, full_drop_pct: 60}

  # Mean sentiment of calls and ticket updates in the last 30 days against the 90 before;
  # 0 when it falls by full_drop (on the -1..1 scale).
  - signal: sentiment_trend
    group: relationship
    weight: 10
    params: {recent_days: 30, baseline_days: 90, full_drop: 0.5}

  # Days since a person on our side last spoke with the customer (calls, meetings, support
  # replies). 1 up to healthy_days, 0 from full_days.
  - signal: days_since_human_contact
    group: relationship
    weight: 10
    params: {healthy_days: 14, full_days: 60}

  # Onboarding and success milestones: each overdue one costs overdue_penalty, each missed
  # one missed_penalty (of 1).
  - signal: milestones
    group: outcomes
    weight: 6
    params: {overdue_penalty: 0.25, missed_penalty: 0.5}

  # The latest NPS answer within lookback_days: 0 for a detractor (0-6), 0.5 passive, 1 promoter.
  - signal: nps
    group: relationship
    weight: 5
    params: {lookback_days: 180, detractor_max: 6, promoter_min: 9}

  # Community posts, answers and event attendance in the last 30 days against the 90-day rate.
  - signal: community_trend
    group: relationship
    weight: 3
    params: {recent_days: 30, baseline_days: 90, full_drop_pct: 75}

  # The champion named in the CRM changed within window_days: 0 then, 1 otherwise.
  # A new champion has to be won over again.
  - signal: champion_change
    group: relationship
    weight: 2
    params: {window_days: 90}
"""#

    /// The default rules, loaded.
    public static func load() -> Rules {
        // The text is fixed and checked by a test, so it always loads.
        try! Rules.load(yaml: text, file: file)
    }
}
