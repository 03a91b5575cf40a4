/// The words of a text as triage matches them: runs of letters and digits, lowercased, kept as
/// UTF-8 bytes in one buffer (a subject is matched against every phrase of the rules, on every
/// ticket of a replay).
public struct SubjectWords: Sendable, Equatable {
    var bytes: [UInt8] = []
    /// Where each word lies in `bytes`.
    var spans: [Range<Int>] = []

    public init(_ text: String) {
        var text = text
        let ascii = text.withUTF8 { utf8 -> Bool in
            guard !utf8.contains(where: { $0 >= 0x80 }) else { return false }
            // Most subjects are ASCII: split and lowercase their bytes without asking each character's properties.
            bytes.reserveCapacity(utf8.count)
            var start = 0
            for b in utf8 {
                let lower = b | 0x20
                if (b >= 0x30 && b <= 0x39) || (lower >= 0x61 && lower <= 0x7a) {
                    bytes.append(b >= 0x41 && b <= 0x5a ? lower : b)
                } else {
                    if bytes.count > start { spans.append(start..<bytes.count) }
                    start = bytes.count
                }
            }
            if bytes.count > start { spans.append(start..<bytes.count) }
            return true
        }
        guard !ascii else { return }
        for word in text.lowercased().split(whereSeparator: { !($0.isLetter || $0.isNumber) }) {
            let start = bytes.count
            bytes += word.utf8
            spans.append(start..<bytes.count)
        }
    }

    public var isEmpty: Bool { spans.isEmpty }

    /// The words as text.
    public var strings: [String] { spans.map { String(decoding: bytes[$0], as: UTF8.self) } }

    /// Whether these words hold `phrase` as consecutive words, each word of the phrase beginning
    /// one of them (`cancel` finds cancelled and cancellation).
    public func contains(_ phrase: SubjectWords) -> Bool {
        let n = phrase.spans.count
        guard n > 0, spans.count >= n else { return false }
        starts: for start in 0...(spans.count - n) {
            for k in 0..<n {
                let (word, part) = (spans[start + k], phrase.spans[k])
                guard word.count >= part.count, bytes[word.lowerBound..<(word.lowerBound + part.count)].elementsEqual(phrase.bytes[part]) else { continue starts }
            }
            return true
        }
        return false
    }
}
