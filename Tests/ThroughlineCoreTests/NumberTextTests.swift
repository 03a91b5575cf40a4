import Testing
import ThroughlineCore

@Test("Thousands are separated by commas, signs kept")
func groupedNumbers() {
    #expect(NumberText.grouped(0) == "0")
    #expect(NumberText.grouped(999) == "999")
    #expect(NumberText.grouped(1000) == "1,000")
    #expect(NumberText.grouped(1_234_567) == "1,234,567")
    #expect(NumberText.grouped(-1500) == "-1,500")
    #expect(NumberText.grouped(Int64.min) == "-9,223,372,036,854,775,808")
}
