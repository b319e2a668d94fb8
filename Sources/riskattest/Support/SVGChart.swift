import RiskEngine

/// A small, dependency-free SVG chart writer shared by `metrics --chart` and `cascade --chart`.
///
/// A chart is a stack of panels sharing the width; each panel has its own axes and holds line
/// series (optionally with point markers), free markers (liquidations), vertical reference lines
/// and/or a bar series. Output is deterministic text (fixed decimals, no timestamps), so the
/// same inputs give the same bytes. Every label that can come from an input file is escaped
/// twice: `UntrustedText.escape` (control and bidi characters, as on the terminal) and XML
/// escaping, so an instrument id cannot inject markup into the SVG.
struct SVGChart {
    enum Shape { case circle, triangleDown, triangleUp, square, diamond }

    struct Series {
        var name: String
        var points: [(x: Double, y: Double)]
        var color: String
        var dashed = false
        var dots = false
    }

    struct Marker {
        var x: Double
        var y: Double
        var shape: Shape
        var color: String
    }

    struct Bar {
        var label: String
        var value: Double
    }

    /// A vertical reference line at x with a label at its top.
    struct VLine {
        var x: Double
        var label: String
        var color: String
    }

    struct Panel {
        var title: String
        var xLabel: String
        var yLabel: String
        var series: [Series] = []
        var markers: [Marker] = []
        /// Legend entries for the marker shapes used.
        var markerLegend: [(shape: Shape, color: String, label: String)] = []
        var vlines: [VLine] = []
        /// A bar chart instead of an x axis of numbers: one bar per label, in order.
        var bars: [Bar] = []
        var barPositive = "#2e7d32"
        var barNegative = "#c62828"
        /// Integer x ticks only (step numbers).
        var integerX = false
        var height = 300.0
    }

    var title: String
    var panels: [Panel]
    var width = 960.0

    // Layout: margins inside each panel.
    private let left = 92.0, right = 24.0, top = 46.0, bottomAxis = 44.0

    func render() -> String {
        let titleHeight = 40.0
        var heights: [Double] = []
        for p in panels { heights.append(p.height + (p.bars.isEmpty ? 0 : 70)) }
        let total = titleHeight + heights.reduce(0, +) + 10
        var s = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        s += "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(f(width))\" height=\"\(f(total))\" viewBox=\"0 0 \(f(width)) \(f(total))\" font-family=\"Helvetica, Arial, sans-serif\">\n"
        s += "<rect x=\"0\" y=\"0\" width=\"\(f(width))\" height=\"\(f(total))\" fill=\"#ffffff\"/>\n"
        s += "<text x=\"\(f(width / 2))\" y=\"26\" font-size=\"15\" font-weight=\"bold\" text-anchor=\"middle\" fill=\"#222\">\(Self.text(title))</text>\n"
        var y0 = titleHeight
        for (k, p) in panels.enumerated() {
            s += p.bars.isEmpty ? linePanel(p, y0: y0) : barPanel(p, y0: y0)
            y0 += heights[k]
        }
        s += "</svg>\n"
        return s
    }

    // MARK: panels

    private func frame(_ p: Panel, y0: Double, plotBottom: Double) -> String {
        var s = "<text x=\"\(f(left))\" y=\"\(f(y0 + 22))\" font-size=\"14\" font-weight=\"bold\" fill=\"#222\">\(Self.text(p.title))</text>\n"
        let midY = (y0 + top + plotBottom) / 2
        s += "<text x=\"16\" y=\"\(f(midY))\" font-size=\"12\" fill=\"#444\" text-anchor=\"middle\" transform=\"rotate(-90 16 \(f(midY)))\">\(Self.text(p.yLabel))</text>\n"
        return s
    }

    private func linePanel(_ p: Panel, y0: Double) -> String {
        let plotTop = y0 + top, plotBottom = y0 + p.height - bottomAxis
        let plotLeft = left, plotRight = width - right
        var xs: [Double] = [], ys: [Double] = []
        for se in p.series { for pt in se.points where pt.x.isFinite && pt.y.isFinite { xs.append(pt.x); ys.append(pt.y) } }
        for m in p.markers where m.x.isFinite && m.y.isFinite { xs.append(m.x); ys.append(m.y) }
        for v in p.vlines where v.x.isFinite { xs.append(v.x) }
        var s = frame(p, y0: y0, plotBottom: plotBottom)
        guard let xmin0 = xs.min(), let xmax0 = xs.max(), let ymin0 = ys.min(), let ymax0 = ys.max() else {
            return s + "<text x=\"\(f(width / 2))\" y=\"\(f((plotTop + plotBottom) / 2))\" font-size=\"12\" text-anchor=\"middle\" fill=\"#666\">no data</text>\n"
        }
        var xt = Self.ticks(xmin0, xmax0, integer: p.integerX)
        let yt = Self.ticks(ymin0, ymax0, integer: false)
        var xmin = xt.first!, xmax = xt.last!
        let ymin = yt.first!, ymax = yt.last!
        if p.integerX {
            // Steps: the data's own range plus half a step of room, so end markers are not clipped;
            // only whole steps inside the data are labelled.
            xt = xt.filter { $0 >= xmin0 - 1e-9 && $0 <= xmax0 + 1e-9 }
            xmin = xmin0 - 0.3; xmax = max(xmax0, xmin0 + 1) + 0.5
        }
        func px(_ x: Double) -> Double { plotLeft + (x - xmin) / (xmax - xmin) * (plotRight - plotLeft) }
        func py(_ y: Double) -> Double { plotBottom - (y - ymin) / (ymax - ymin) * (plotBottom - plotTop) }
        // Grid and axes.
        for t in yt {
            s += "<line x1=\"\(f(plotLeft))\" y1=\"\(f(py(t)))\" x2=\"\(f(plotRight))\" y2=\"\(f(py(t)))\" stroke=\"#e4e4e4\" stroke-width=\"1\"/>\n"
            s += "<text x=\"\(f(plotLeft - 6))\" y=\"\(f(py(t) + 4))\" font-size=\"11\" text-anchor=\"end\" fill=\"#444\">\(Self.text(Self.label(t)))</text>\n"
        }
        for t in xt {
            s += "<line x1=\"\(f(px(t)))\" y1=\"\(f(plotTop))\" x2=\"\(f(px(t)))\" y2=\"\(f(plotBottom))\" stroke=\"#f0f0f0\" stroke-width=\"1\"/>\n"
            s += "<text x=\"\(f(px(t)))\" y=\"\(f(plotBottom + 16))\" font-size=\"11\" text-anchor=\"middle\" fill=\"#444\">\(Self.text(Self.label(t)))</text>\n"
        }
        if ymin < 0 && ymax > 0 {
            s += "<line x1=\"\(f(plotLeft))\" y1=\"\(f(py(0)))\" x2=\"\(f(plotRight))\" y2=\"\(f(py(0)))\" stroke=\"#888\" stroke-width=\"1\"/>\n"
        }
        s += "<rect x=\"\(f(plotLeft))\" y=\"\(f(plotTop))\" width=\"\(f(plotRight - plotLeft))\" height=\"\(f(plotBottom - plotTop))\" fill=\"none\" stroke=\"#999\" stroke-width=\"1\"/>\n"
        s += "<text x=\"\(f((plotLeft + plotRight) / 2))\" y=\"\(f(plotBottom + 34))\" font-size=\"12\" text-anchor=\"middle\" fill=\"#444\">\(Self.text(p.xLabel))</text>\n"
        for v in p.vlines where v.x.isFinite {
            s += "<line x1=\"\(f(px(v.x)))\" y1=\"\(f(plotTop))\" x2=\"\(f(px(v.x)))\" y2=\"\(f(plotBottom))\" stroke=\"\(v.color)\" stroke-width=\"1.2\" stroke-dasharray=\"4 3\"/>\n"
            s += "<text x=\"\(f(px(v.x) + 3))\" y=\"\(f(plotTop + 12))\" font-size=\"10\" fill=\"\(v.color)\">\(Self.text(v.label))</text>\n"
        }
        // Series.
        for se in p.series {
            let pts = se.points.filter { $0.x.isFinite && $0.y.isFinite }
            guard !pts.isEmpty else { continue }
            let d = pts.enumerated().map { ($0.offset == 0 ? "M" : "L") + f(px($0.element.x)) + " " + f(py($0.element.y)) }.joined(separator: " ")
            s += "<path d=\"\(d)\" fill=\"none\" stroke=\"\(se.color)\" stroke-width=\"2\"\(se.dashed ? " stroke-dasharray=\"6 4\"" : "") stroke-linejoin=\"round\"/>\n"
            if se.dots {
                for pt in pts { s += "<circle cx=\"\(f(px(pt.x)))\" cy=\"\(f(py(pt.y)))\" r=\"2.2\" fill=\"\(se.color)\"/>\n" }
            }
        }
        for m in p.markers where m.x.isFinite && m.y.isFinite {
            s += Self.marker(m.shape, px(m.x), py(m.y), m.color, size: 6)
        }
        // Legend, top right inside the plot.
        var entries: [(String, String)] = []   // (svg glyph, label)
        for se in p.series {
            let dash = se.dashed ? " stroke-dasharray=\"6 4\"" : ""
            entries.append(("<line x1=\"0\" y1=\"0\" x2=\"18\" y2=\"0\" stroke=\"\(se.color)\" stroke-width=\"2\"\(dash)/>", se.name))
        }
        for l in p.markerLegend { entries.append((Self.marker(l.shape, 9, 0, l.color, size: 5), l.label)) }
        if !entries.isEmpty {
            let w = 36 + Double(entries.map { $0.1.count }.max() ?? 0) * 6.4
            let x = plotRight - w - 8, y = plotTop + 8
            s += "<rect x=\"\(f(x))\" y=\"\(f(y))\" width=\"\(f(w))\" height=\"\(f(Double(entries.count) * 16 + 8))\" fill=\"#ffffff\" fill-opacity=\"0.85\" stroke=\"#ccc\"/>\n"
            for (k, e) in entries.enumerated() {
                let ly = y + 12 + Double(k) * 16
                s += "<g transform=\"translate(\(f(x + 6)) \(f(ly)))\">\(e.0)</g>\n"
                s += "<text x=\"\(f(x + 30))\" y=\"\(f(ly + 4))\" font-size=\"11\" fill=\"#222\">\(Self.text(e.1))</text>\n"
            }
        }
        return s
    }

    private func barPanel(_ p: Panel, y0: Double) -> String {
        let plotTop = y0 + top, plotBottom = y0 + p.height - 10
        let plotLeft = left, plotRight = width - right
        var s = frame(p, y0: y0, plotBottom: plotBottom)
        let values = p.bars.map(\.value).filter(\.isFinite)
        let yt = Self.ticks(min(0, values.min() ?? 0), max(0, values.max() ?? 0), integer: false)
        let ymin = yt.first!, ymax = yt.last!
        func py(_ y: Double) -> Double { plotBottom - (y - ymin) / (ymax - ymin) * (plotBottom - plotTop) }
        for t in yt {
            s += "<line x1=\"\(f(plotLeft))\" y1=\"\(f(py(t)))\" x2=\"\(f(plotRight))\" y2=\"\(f(py(t)))\" stroke=\"#e4e4e4\" stroke-width=\"1\"/>\n"
            s += "<text x=\"\(f(plotLeft - 6))\" y=\"\(f(py(t) + 4))\" font-size=\"11\" text-anchor=\"end\" fill=\"#444\">\(Self.text(Self.label(t)))</text>\n"
        }
        s += "<rect x=\"\(f(plotLeft))\" y=\"\(f(plotTop))\" width=\"\(f(plotRight - plotLeft))\" height=\"\(f(plotBottom - plotTop))\" fill=\"none\" stroke=\"#999\" stroke-width=\"1\"/>\n"
        let n = max(1, p.bars.count)
        let slot = (plotRight - plotLeft) / Double(n)
        let zero = py(0)
        for (k, b) in p.bars.enumerated() {
            let cx = plotLeft + slot * (Double(k) + 0.5)
            if b.value.isFinite {
                let yv = py(b.value)
                let top = min(yv, zero), h = max(abs(yv - zero), 0.5)
                s += "<rect x=\"\(f(cx - slot * 0.36))\" y=\"\(f(top))\" width=\"\(f(slot * 0.72))\" height=\"\(f(h))\" fill=\"\(b.value >= 0 ? p.barPositive : p.barNegative)\"/>\n"
            }
            let ly = plotBottom + 10
            s += "<text x=\"\(f(cx))\" y=\"\(f(ly))\" font-size=\"9\" text-anchor=\"end\" fill=\"#333\" transform=\"rotate(-55 \(f(cx)) \(f(ly)))\">\(Self.text(b.label))</text>\n"
        }
        s += "<line x1=\"\(f(plotLeft))\" y1=\"\(f(zero))\" x2=\"\(f(plotRight))\" y2=\"\(f(zero))\" stroke=\"#555\" stroke-width=\"1\"/>\n"
        return s
    }

    // MARK: helpers

    static func marker(_ shape: Shape, _ x: Double, _ y: Double, _ color: String, size r: Double) -> String {
        let stroke = "stroke=\"#222\" stroke-width=\"0.8\""
        switch shape {
        case .circle:
            return "<circle cx=\"\(f(x))\" cy=\"\(f(y))\" r=\"\(f(r))\" fill=\"\(color)\" \(stroke)/>\n"
        case .square:
            return "<rect x=\"\(f(x - r))\" y=\"\(f(y - r))\" width=\"\(f(2 * r))\" height=\"\(f(2 * r))\" fill=\"\(color)\" \(stroke)/>\n"
        case .triangleDown:
            return "<path d=\"M\(f(x - r)) \(f(y - r)) L\(f(x + r)) \(f(y - r)) L\(f(x)) \(f(y + r)) Z\" fill=\"\(color)\" \(stroke)/>\n"
        case .triangleUp:
            return "<path d=\"M\(f(x - r)) \(f(y + r)) L\(f(x + r)) \(f(y + r)) L\(f(x)) \(f(y - r)) Z\" fill=\"\(color)\" \(stroke)/>\n"
        case .diamond:
            return "<path d=\"M\(f(x)) \(f(y - r)) L\(f(x + r)) \(f(y)) L\(f(x)) \(f(y + r)) L\(f(x - r)) \(f(y)) Z\" fill=\"\(color)\" \(stroke)/>\n"
        }
    }

    /// Fixed two-decimal coordinates (deterministic, compact).
    static func f(_ x: Double) -> String {
        guard x.isFinite else { return "0" }
        let v = (x * 100).rounded() / 100
        if v == v.rounded() && abs(v) < 1e15 { return String(Int64(v)) }
        return String(v)
    }
    private func f(_ x: Double) -> String { Self.f(x) }

    /// Text content: escaped for the terminal rules (controls, bidi) and for XML.
    static func text(_ s: String) -> String {
        var out = ""
        for ch in UntrustedText.escape(s) {
            switch ch {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            default: out.append(ch)
            }
        }
        return out
    }

    /// "Nice" tick values (1, 2, 2.5, 5 × 10^k) covering [lo, hi], 4–8 of them.
    static func ticks(_ lo0: Double, _ hi0: Double, integer: Bool) -> [Double] {
        var lo = lo0, hi = hi0
        if !(hi > lo) {
            let pad = lo == 0 ? 1 : abs(lo) * 0.05
            lo -= pad; hi += pad
        }
        let raw = (hi - lo) / 6
        let mag = pow10(floorLog10(raw))
        var step = mag
        for m in [1.0, 2.0, 2.5, 5.0, 10.0] where m * mag >= raw { step = m * mag; break }
        if integer { step = max(1, step.rounded(.up)) }
        let start = (lo / step).rounded(.down) * step
        var t: [Double] = []
        var v = start
        // From the last multiple of step at or below lo to the first at or above hi.
        while (t.isEmpty || t[t.count - 1] < hi - step * 1e-9) && t.count < 40 {
            t.append(abs(v) < step * 1e-9 ? 0 : v)
            v = start + step * Double(t.count)
        }
        if t.count < 2 { t.append(start + step) }
        return t
    }

    private static func floorLog10(_ x: Double) -> Int {
        guard x > 0, x.isFinite else { return 0 }
        var k = 0, v = x
        while v >= 10 { v /= 10; k += 1 }
        while v < 1 { v *= 10; k -= 1 }
        return k
    }
    private static func pow10(_ k: Int) -> Double {
        var v = 1.0
        if k >= 0 { for _ in 0..<k { v *= 10 } } else { for _ in 0..<(-k) { v /= 10 } }
        return v
    }

    /// Compact tick label: 1.5M, 250k, 97,000, 0.25, -12.5.
    static func label(_ v: Double) -> String {
        let a = abs(v)
        func trim(_ x: Double, _ digits: Int) -> String {
            var s = MetricsText.num(x, digits)
            if s.contains(".") {
                while s.hasSuffix("0") { s.removeLast() }
                if s.hasSuffix(".") { s.removeLast() }
            }
            return s
        }
        if a >= 1e9 { return trim(v / 1e9, 2) + "B" }
        if a >= 1e6 { return trim(v / 1e6, 2) + "M" }
        if a >= 1e5 { return trim(v / 1e3, 1) + "k" }
        if a >= 100 { return trim(v, 0) }
        return trim(v, 4)
    }
}
