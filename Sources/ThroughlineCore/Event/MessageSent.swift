/// `message.sent`: a message sent to a person at the customer, by automation (actor
/// `automation:renewal-bot`) or by someone on our side: its channel, template, recipient and the
/// personalised fields as they were sent. The message audit (`MessageAudit`) checks them.
public struct MessageSent: Sendable {
    public enum Channel: String, CaseIterable, Sendable {
        case email, sms, chat, inApp = "in_app", phone, letter
    }

    public var messageID: String
    public var channel: Channel
    public var template: String
    /// The person it went to: an email, a person id, or a name only one person of the account has.
    public var recipient: String
    /// The personalised fields as sent, in the order sent (`first_name`, `plan`, `renewal_date`...).
    public var fields: [(name: String, value: String)]
    /// The ticket the message is about, if it is about one.
    public var ticketID: String?

    /// The most fields one message may carry.
    public static let maxFields = 50

    init(_ r: FieldReader) throws(ValidationError) {
        messageID = try r.requiredKey("message_id", maxLength: 128)
        channel = try r.requiredOneOf("channel", Channel.self)
        template = try r.requiredKey("template", maxLength: 128)
        recipient = try r.requiredString("recipient", maxLength: 256)
        ticketID = try r.string("ticket_id", maxLength: 128, nonEmpty: true)
        fields = []
        if let f = try r.object("fields") {
            guard f.object.count <= Self.maxFields else { throw r.fail("fields", "must have at most \(Self.maxFields) members") }
            for i in 0..<f.object.count {
                let name = f.object.key(at: i)
                let path = f.fieldPath(name)
                let value = f.object.value(at: i)
                guard let range = value.stringRange else { throw ValidationError(field: path, "must be a string, not \(value.typeName)") }
                let text = String(decoding: UnsafeRawBufferPointer(rebasing: f.object.bytes[range]), as: UTF8.self)
                guard text.unicodeScalars.count <= 500 else { throw ValidationError(field: path, "must be at most 500 characters") }
                fields.append((name, text))
            }
        }
    }

    /// The value of field `name` as sent, if it was.
    public func field(_ name: String) -> String? { fields.first { $0.name == name }?.value }
}
