/// The members of each type's `data` that hold what people wrote or said: free text that may
/// name or describe a person. The log keeps them sealed under the key of the account the event
/// is filed under (`SealedRecord`), so that forgetting the account destroys them; scores never
/// read them. The schemas mark the same members `"x-personal": true` (a test keeps the two in
/// agreement).
public enum PersonalFields {
    public static func of(_ type: EventType) -> [String] {
        switch type {
        case .callCompleted: ["summary", "transcript"]
        case .ticketOpened: ["subject"]
        case .ticketUpdated, .surveyAnswered: ["comment"]
        case .noteAdded: ["text"]
        case .healthOverride: ["reason"]
        default: []
        }
    }
}
