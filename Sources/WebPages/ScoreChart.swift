import Scoring
import ThroughlineCore

/// The daily score history as an SVG line chart: each stretch drawn in its band's colour, a
/// marker on every band change, and a flag at each CSM override (its band's colour).
enum ScoreChart {
    static let (width, height, left, bottom) = (900.0, 200.0, 30.0, 18.0)

    /// `scores` is the account's score history; `overrides` its CSM overrides (`time`, `band`,
    /// `title`).
    static func svg(_ scores: ScoreHistoryView, overrides: [JSONValue]) -> String {
        let points = scores.points
        guard let first = points.first?.date.daysSinceEpoch, let last = points.last?.date.daysSinceEpoch else {
            return "<p class=\"muted\">No scores yet.</p>"
        }
        let span = Double(max(1, last - first))
        func x(_ d: Int) -> Double { left + Double(d - first) / span * (width - left - 4) }
        func y(_ s: Double) -> Double { 4 + (100 - s) / 100 * (height - bottom - 8) }
        let (firstDate, lastDate) = (HTML.esc(points[0].date.description), HTML.esc(points[points.count - 1].date.description))
        var svg = "<svg id=\"score-chart\" width=\"\(Int(width))\" height=\"\(Int(height))\" viewBox=\"0 0 \(Int(width)) \(Int(height))\" "
            + "role=\"img\" aria-label=\"daily health score from \(firstDate) to \(lastDate)\">"
        for s in [0.0, 50, 100] {
            svg += "<line x1=\"\(Int(left))\" x2=\"\(Int(width))\" y1=\"\(HTML.f(y(s)))\" y2=\"\(HTML.f(y(s)))\" stroke=\"#e0e0e0\"/>"
                + "<text x=\"0\" y=\"\(HTML.f(y(s) + 4))\" font-size=\"11\" fill=\"#777\">\(Int(s))</text>"
        }
        // One polyline per run of days in the same band (a day without a score ends a run).
        var run: [String] = [], runBand = ""
        func flush() {
            let colour = HTML.bandColours[runBand] ?? "#777"
            if run.count >= 2 {
                svg += "<polyline class=\"band-\(runBand)\" fill=\"none\" stroke=\"\(colour)\" stroke-width=\"1.6\" points=\"\(run.joined(separator: " "))\"/>"
            } else if let only = run.first?.split(separator: ",") {
                svg += "<circle cx=\"\(only[0])\" cy=\"\(only[1])\" r=\"1.5\" fill=\"\(colour)\"/>"
            }
            run = []
        }
        for p in points {
            guard let s = p.score else {
                flush()
                continue
            }
            let band = p.band?.rawValue ?? ""
            let point = "\(HTML.f(x(p.date.daysSinceEpoch))),\(HTML.f(y(s)))"
            if band != runBand {
                // The new run starts where the old one ended, so the line has no gap.
                let joint = run.last
                flush()
                if let joint { run.append(joint) }
                runBand = band
            }
            run.append(point)
        }
        flush()
        for c in scores.bandChanges {
            guard let s = points.first(where: { $0.date == c.date })?.score else { continue }
            let (from, to) = (c.from?.rawValue ?? "–", c.to?.rawValue ?? "–")
            svg += "<circle class=\"band-change\" cx=\"\(HTML.f(x(c.date.daysSinceEpoch)))\" cy=\"\(HTML.f(y(s)))\" r=\"4\" fill=\"#fff\" "
                + "stroke=\"\(HTML.bandColours[to] ?? "#777")\" stroke-width=\"2\">"
                + "<title>\(HTML.esc(c.date.description)): \(from) → \(to)</title></circle>"
        }
        for o in overrides {
            guard let d = day(o["time"]), d >= first, d <= last else { continue }
            let colour = HTML.bandColours[HTML.text(o["band"])] ?? "#555"
            let px = HTML.f(x(d))
            svg += "<g class=\"override\"><line x1=\"\(px)\" x2=\"\(px)\" y1=\"4\" y2=\"\(HTML.f(height - bottom))\" stroke=\"\(colour)\" stroke-dasharray=\"3,3\"/>"
                + "<path d=\"M\(px),4 l8,4 l-8,4 z\" fill=\"\(colour)\"/><title>\(HTML.cell(o["title"]))</title></g>"
        }
        svg += "<text x=\"\(Int(left))\" y=\"\(Int(height) - 3)\" font-size=\"11\" fill=\"#777\">\(firstDate)</text>"
            + "<text x=\"\(Int(width))\" y=\"\(Int(height) - 3)\" font-size=\"11\" fill=\"#777\" text-anchor=\"end\">\(lastDate)</text>"
        return svg + "</svg>"
    }

    static func day(_ v: JSONValue?) -> Int? {
        guard case .string(let s)? = v else { return nil }
        return CalendarDate(iso: String(s.prefix(10)))?.daysSinceEpoch
    }
}
