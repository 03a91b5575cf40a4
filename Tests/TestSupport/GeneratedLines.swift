import DatasetGenerator

/// A generated dataset's NDJSON lines.
public func generatedLines(accounts: Int, days: Int, seed: UInt64, peopleShare: Double = 0) -> [String] {
    var options = DatasetGenerator.Options()
    options.accounts = accounts
    options.days = days
    options.seed = seed
    options.peopleShare = peopleShare
    var generator = DatasetGenerator(options)
    var bytes: [UInt8] = []
    generator.run { bytes += $0 }
    return String(decoding: bytes, as: UTF8.self).split(separator: "\n").map(String.init)
}
