import Testing
import ThroughlineCore

@Suite("Data quality: near-equal names")
struct DataQualityTests {
    @Test("Names a letter or two apart are grouped (two for longer names); equal names, and names further apart, are not")
    func nearNames() {
        let keys = ["globex systems", "globex sytsems", "globex", "initech", "initek", "acme", "acme", "hooli", "wayne enterprises",
                    "wayne enterprise", "wayne enterprizes"].map(DataQualityReport.nameKey)
        #expect(DataQualityReport.nearNames(keys) == [[0, 1], [8, 9, 10]])
        #expect(DataQualityReport.nameKey("Wayne Enterprises, Inc.") == "wayne enterprises")
        #expect(DataQualityReport.nearNames(["abc", "abd"]).isEmpty)  // too short to tell
    }
}
