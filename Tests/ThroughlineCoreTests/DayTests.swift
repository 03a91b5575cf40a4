import Testing
import ThroughlineCore

@Suite("UTC days")
struct DayTests {
    @Test("A day holds every microsecond from its start to its end, before 1970 too, and names its date")
    func spans() throws {
        for iso in ["1969-12-31", "1970-01-01", "2024-02-29", "2026-12-03"] {
            let day = Day(try #require(CalendarDate(iso: iso)))
            #expect(day.description == iso)
            #expect(Day(containing: day.start) == day && Day(containing: day.end) == day)
            #expect(Day(containing: day.start - 1) == day.advanced(by: -1) && Day(containing: day.end + 1) == day.advanced(by: 1))
            #expect(day.end - day.start == Day.micros - 1)
        }
        #expect(Day(containing: -1).number == -1 && Day(containing: 0).number == 0)
        let noon = try #require(Timestamp(rfc3339: "2026-03-25T12:00:00Z")).microseconds
        #expect(Day(containing: noon).description == "2026-03-25")
        #expect(Day(0).distance(to: Day(31)) == 31 && (Day(3)...Day(5)).count == 3)
    }
}
