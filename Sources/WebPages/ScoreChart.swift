import ThroughlineCore

/// The daily score history as an SVG line chart: each stretch drawn in its band's colour, a
/// marker on every band change, and a flag at each CSM override (its band's colour).
enum ScoreChart {
    static let (width, height, left, bottom) = (900.0, 200.0, 30.0, 18.0)

    /// `scores` is the scores read (`points`, `band_changes`); `overrides` the account's CSM
    /// overrides (`time`, `band`, `title`).
    static func svg(_ scores: JSONValue, overrides: [JSONValue]) -> String {
        guard case .array(let points)? = scores["points"], let first = points.first.flatMap({ day($0["date"]) }),
              let last = points.last.flatMap({ day($0["date"]) }) else {
            return "<p class=\"muted\">No scores yet.</p>"
        }
        let span = Double(max(1, last - first))
        func x(_ d: Int) -> Double { left + Double(d - first) / span * (width - left - 4) }
        func y(_ s: Double) -> Double { 4 + (100 - s) / 100 * (height - bottom - 8) }
        var svg = "<svg id=\"score-chart\" width=\"\(Int(width))\" height=\"\(Int(height))\" viewBox=\"0 0 \(Int(width)) \(Int(height))\" "
            + "role=\"img\" aria-label=\"daily health score from \(HTML.cell(points.first?["date"])) to \(HTML.cell(points.last?["date"]))\">"
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
            guard let d = day(p["date"]), case .number(let n)? = p["score"], let s = Double(n) else {
                flush()
                continue
            }
            let band = HTML.text(p["band"])
            let point = "\(HTML.f(x(d))),\(HTML.f(y(s)))"
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
        if case .array(let changes)? = scores["band_changes"] {
            for c in changes {
                guard let d = day(c["date"]), let p = points.first(where: { $0["date"] == c["date"] }),
                      case .number(let n)? = p["score"], let s = Double(n) else { continue }
                svg += "<circle class=\"band-change\" cx=\"\(HTML.f(x(d)))\" cy=\"\(HTML.f(y(s)))\" r=\"4\" fill=\"#fff\" "
                    + "stroke=\"\(HTML.bandColours[HTML.text(c["to"])] ?? "#777")\" stroke-width=\"2\">"
                    + "<title>\(HTML.cell(c["date"])): \(HTML.cell(c["from"])) → \(HTML.cell(c["to"]))</title></circle>"
            }
        }
        for o in overrides {
            guard let d = day(o["time"]), d >= first, d <= last else { continue }
            let colour = HTML.bandColours[HTML.text(o["band"])] ?? "#555"
            let px = HTML.f(x(d))
            svg += "<g class=\"override\"><line x1=\"\(px)\" x2=\"\(px)\" y1=\"4\" y2=\"\(HTML.f(height - bottom))\" stroke=\"\(colour)\" stroke-dasharray=\"3,3\"/>"
                + "<path d=\"M\(px),4 l8,4 l-8,4 z\" fill=\"\(colour)\"/><title>\(HTML.cell(o["title"]))</title></g>"
        }
        svg += "<text x=\"\(Int(left))\" y=\"\(Int(height) - 3)\" font-size=\"11\" fill=\"#777\">\(HTML.cell(points.first?["date"]))</text>"
            + "<text x=\"\(Int(width))\" y=\"\(Int(height) - 3)\" font-size=\"11\" fill=\"#777\" text-anchor=\"end\">\(HTML.cell(points.last?["date"]))</text>"
        return svg + "</svg>"
    }

    static func day(_ v: JSONValue?) -> Int? {
        guard case .string(let s)? = v else { return nil }
        return CalendarDate(iso: String(s.prefix(10)))?.daysSinceEpoch
    }
}
