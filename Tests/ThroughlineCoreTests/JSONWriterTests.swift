import Testing
import ThroughlineCore

@Suite("JSON text")
struct JSONWriterTests {
    @Test("Strings escape quotes, backslashes and control characters, keep other text as is, and parse back")
    func escaping() throws {
        let cases: [(String, String)] = [
            ("plain", #""plain""#),
            ("", #""""#),
            ("say \"hi\"", #""say \"hi\"""#),
            (#"C:\dir"#, #""C:\\dir""#),
            ("a\nb\tc\rd", #""a\nb\tc\rd""#),
            ("\u{01}x\u{1F}", #""\u0001x\u001f""#),
            ("\"", #""\"""#),
            ("naïve 日本 🎉 <script>", "\"naïve 日本 🎉 <script>\""),
        ]
        for (text, json) in cases {
            #expect(JSONWriter.string(.string(text)) == json)
            #expect(try JSONParser.parse(json) == .string(text))
        }
    }
}
