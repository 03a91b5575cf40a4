import Testing
import ThroughlineCore

@Suite struct LineSplitterTests {
    func split(_ text: [UInt8], chunk: Int, max: Int = 1 << 20) -> [String] {
        var s = LineSplitter(maxLineBytes: max)
        var out: [String] = []
        let record: (Int, LineSplitter.Line) -> Void = { n, line in
            switch line {
            case .text(let b): out.append("\(n):\(String(decoding: b, as: UTF8.self))")
            case .tooLong(let len): out.append("\(n):TOO LONG \(len)")
            }
        }
        var i = 0
        while i < text.count {
            let end = min(text.count, i + chunk)
            Array(text[i..<end]).withUnsafeBytes { s.feed($0, record) }
            i = end
        }
        s.finish(record)
        return out
    }

    @Test func linesAreTheSameWhateverTheChunking() {
        let text = Array("a\r\nbb\n\nccc\nlast".utf8)
        for chunk in 1...text.count {
            #expect(split(text, chunk: chunk) == ["1:a", "2:bb", "3:", "4:ccc", "5:last"], "chunk \(chunk)")
        }
    }

    @Test func overlongLinesAreRefusedAndCountingGoesOn() {
        let text = Array(("ok\n" + String(repeating: "x", count: 50) + "\nnext\n").utf8)
        for chunk in [1, 7, 64, 1000] {
            #expect(split(text, chunk: chunk, max: 10) == ["1:ok", "2:TOO LONG 50", "3:next"], "chunk \(chunk)")
        }
    }
}
