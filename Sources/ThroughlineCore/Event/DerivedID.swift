/// Ids Throughline makes for the events it derives (an alert, the task it opens): the id
/// `whole`, readable, while it fits an id's `EventDecoder.maxKeyLength` characters; else
/// `prefix` and a hash of `whole`. The same parts always give the same id, so an event derived
/// twice is stored once.
public func derivedID(_ whole: String, else prefix: String) -> String {
    guard whole.utf8.count > EventDecoder.maxKeyLength else { return whole }
    return prefix + String(Hash64.hash(whole), radix: 16)
}
