import ThroughlineCore

/// How an account is named by the systems around it: the help desk by its organisation id and
/// telemetry by its workspace id (instead of Throughline's id), linked to the account by the CRM
/// when the account starts, or weeks later, or not within the data; and a duplicate account the
/// CRM made at the start, merged into the account once someone notices. Drawn from a generator
/// of its own, so a dataset without references is the same bytes as before they existed.
struct Identities {
    /// The help desk's and telemetry's references to the account (nil: they use its id).
    var helpdesk: AccountRef?
    var telemetry: AccountRef?
    /// The day the CRM links the references (nil: never within the data).
    var linkDay: Int?
    /// The day the duplicate is merged; until then calls and notes land on the duplicate.
    var mergeDay: Int?
    /// The customer's domain, in the CRM's profile (and the duplicate's).
    var domain: String?

    init(index: Int, startDay: Int, options: DatasetGenerator.Options) {
        var rng = SplitMix(seed: options.seed &* 0x9E37_79B9 ^ UInt64(index) &+ 0x1D)
        guard rng.chance(options.referenceShare) else { return }
        helpdesk = AccountRef(system: "zendesk", id: "org-\(40_000 + index * 7)")
        domain = "customer-\(index).example.com"
        telemetry = rng.chance(0.8) ? AccountRef(system: "telemetry", id: "ws-" + String(rng.next() & 0xFFFFFF, radix: 16)) : nil
        let when = rng.unit()
        linkDay = when < 0.6 ? startDay : when < 0.95 ? startDay + rng.int(20...150) : nil
        if rng.chance(options.duplicateShare) { mergeDay = startDay + rng.int(30...200) }
    }

    /// The `identity.linked` events of `day`: each reference linked to `account`.
    func links(day: Int) -> [AccountRef] {
        day == linkDay ? [helpdesk, telemetry].compactMap { $0 } : []
    }
}
