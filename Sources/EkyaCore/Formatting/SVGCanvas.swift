/// A self-contained SVG document built from the shapes the project's plots draw.
///
/// Text, lines, rectangles, polylines with point markers, and legends. Text is XML-escaped; numbers carry
/// one decimal.
public struct SVGCanvas: Sendable {
    /// Horizontal anchoring of a text.
    public enum Anchor: String, Sendable {
        case start
        case middle
        case end
    }

    /// How a legend entry shows its colour.
    public enum Swatch: Sendable {
        case square
        case line
    }

    public let width: Double
    public let height: Double
    private var elements: [String] = []

    /// An empty white canvas, 12 px sans-serif.
    public init(width: Double, height: Double) {
        self.width = width
        self.height = height
        elements.append(#"<rect width="100%" height="100%" fill="white"/>"#)
    }

    static func number(_ value: Double) -> String { TextFormat.fixed(value, decimals: 1) }

    public mutating func text(
        _ content: String,
        x: Double,
        y: Double,
        anchor: Anchor = .start,
        size: Int? = nil,
        fill: String? = nil
    ) {
        var attributes = "x=\"\(Self.number(x))\" y=\"\(Self.number(y))\""
        if anchor != .start { attributes += " text-anchor=\"\(anchor.rawValue)\"" }
        if let size { attributes += " font-size=\"\(size)\"" }
        if let fill { attributes += " fill=\"\(fill)\"" }
        elements.append("<text \(attributes)>\(TextFormat.xmlEscaped(content))</text>")
    }

    public mutating func line(
        from start: (x: Double, y: Double),
        to end: (x: Double, y: Double),
        stroke: String,
        width strokeWidth: Double? = nil,
        dash: String? = nil
    ) {
        var attributes =
            "x1=\"\(Self.number(start.x))\" y1=\"\(Self.number(start.y))\" "
            + "x2=\"\(Self.number(end.x))\" y2=\"\(Self.number(end.y))\" stroke=\"\(stroke)\""
        if let strokeWidth { attributes += " stroke-width=\"\(Self.number(strokeWidth))\"" }
        if let dash { attributes += " stroke-dasharray=\"\(dash)\"" }
        elements.append("<line \(attributes)/>")
    }

    /// A filled rectangle, or an outline when `stroke` is given and `fill` is nil.
    public mutating func rect(
        x: Double,
        y: Double,
        width rectWidth: Double,
        height rectHeight: Double,
        fill: String? = nil,
        opacity: Double? = nil,
        stroke: String? = nil
    ) {
        var attributes =
            "x=\"\(Self.number(x))\" y=\"\(Self.number(y))\" "
            + "width=\"\(Self.number(rectWidth))\" height=\"\(Self.number(rectHeight))\" fill=\"\(fill ?? "none")\""
        if let opacity { attributes += " fill-opacity=\"\(Self.number(opacity))\"" }
        if let stroke { attributes += " stroke=\"\(stroke)\"" }
        elements.append("<rect \(attributes)/>")
    }

    /// A line through `points`, with a dot of radius `markers` on each point when given.
    public mutating func polyline(
        _ points: [(x: Double, y: Double)],
        stroke: String,
        width strokeWidth: Double = 2,
        markers: Double? = nil
    ) {
        guard !points.isEmpty else { return }
        let list = points.map { "\(Self.number($0.x)),\(Self.number($0.y))" }.joined(separator: " ")
        elements.append(
            "<polyline points=\"\(list)\" fill=\"none\" stroke=\"\(stroke)\" stroke-width=\"\(Self.number(strokeWidth))\"/>"
        )
        guard let markers else { return }
        for point in points {
            elements.append(
                "<circle cx=\"\(Self.number(point.x))\" cy=\"\(Self.number(point.y))\" r=\"\(Self.number(markers))\" "
                    + "fill=\"\(stroke)\"/>"
            )
        }
    }

    /// Legend entries (label, colour) from (`x`, `y`), one under the other or side by side `across` apart.
    public mutating func legend(
        _ entries: [(label: String, colour: String)],
        x: Double,
        y: Double,
        swatch: Swatch,
        across: Double? = nil
    ) {
        for (index, entry) in entries.enumerated() {
            let left = x + Double(index) * (across ?? 0)
            let top = y + (across == nil ? Double(index) * 18 : 0)
            switch swatch {
            case .square: rect(x: left, y: top - 10, width: 12, height: 12, fill: entry.colour)
            case .line: line(from: (left, top - 4), to: (left + 20, top - 4), stroke: entry.colour, width: 3)
            }
            text(entry.label, x: left + (swatch == .square ? 18 : 26), y: top)
        }
    }

    /// The document.
    public var document: String {
        ([
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"\(Int(height))\" "
                + "viewBox=\"0 0 \(Int(width)) \(Int(height))\" font-family=\"sans-serif\" font-size=\"12\">"
        ]
            + elements + ["</svg>"]).joined(separator: "\n") + "\n"
    }
}
