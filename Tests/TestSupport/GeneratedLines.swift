import DatasetGenerator

/// A generated dataset's NDJSON lines: the customers' events. The generator's release (a
/// `product.released`, which belongs to no account) is left out: the tests of accounts count
/// and fold every line as an account's; the tests of releases write their own.
public func generatedLines(accounts: Int, days: Int, seed: UInt64, peopleShare: Double = 0) -> [String] {
    var options = DatasetGenerator.Options()
    options.accounts = accounts
    options.days = days
    options.seed = seed
    options.peopleShare = peopleShare
    var generator = DatasetGenerator(options)
    var bytes: [UInt8] = []
    generator.run { bytes += $0 }
    return String(decoding: bytes, as: UTF8.self).split(separator: "\n").map(String.init).filter { !$0.contains(#""type":"product.released""#) }
}
