/// Closed vocabularies of the v1 event model. Each raw value is the text on the wire.

public enum Priority: String, Sendable, CaseIterable { case urgent, high, normal, low }
public enum Band: String, Sendable, CaseIterable, Codable { case green, yellow, red }
public enum CallKind: String, Sendable, CaseIterable { case call, meeting, qbr }
public enum Team: String, Sendable, CaseIterable { case success, support, sales, product }
public enum TicketCategory: String, Sendable, CaseIterable {
    case bug, question, howTo = "how_to", billing, featureRequest = "feature_request", outage
}
public enum UsagePeriod: String, Sendable, CaseIterable { case day, week }
public enum MilestoneStatus: String, Sendable, CaseIterable { case planned, reached, missed }
public enum SurveyKind: String, Sendable, CaseIterable { case nps, csat }
public enum CommunityKind: String, Sendable, CaseIterable {
    case post, answer, eventAttended = "event_attended", advocacy
}
