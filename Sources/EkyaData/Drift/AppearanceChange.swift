/// How one class's items look in a window: which subset ("look") of its images appears, flips and scale.
///
/// Appearance drift models a product line changing (new packaging, items placed upside down, the camera
/// moved farther away). A model trained before the change is wrong in a way that relabelled crops fix.
public struct AppearanceChange: Sendable, Equatable, Codable {
    /// Which half of the class's images appears.
    ///
    /// `nil` = all of them, `0` = the lighter half (less ink), `1` = the darker half. The halves split each
    /// class at its median mean intensity.
    public var look: Int?
    /// Mirror left–right.
    public var flipsHorizontally: Bool
    /// Mirror top–bottom (items placed upside down).
    public var flipsVertically: Bool
    /// Zoom about the centre: `1` = unchanged, below 1 shrinks the item (farther away), above 1 enlarges it.
    public var scale: Double

    /// Creates an appearance.
    public init(look: Int? = nil, flipsHorizontally: Bool = false, flipsVertically: Bool = false, scale: Double = 1) {
        self.look = look
        self.flipsHorizontally = flipsHorizontally
        self.flipsVertically = flipsVertically
        self.scale = scale
    }

    /// The unchanged appearance.
    public static let original = AppearanceChange()

    /// Whether this appearance changes anything.
    public var isOriginal: Bool { self == .original }

    /// Applies the geometric part (flips, scale) to a square crop in place; `look` is applied when sampling.
    public func apply(to crop: inout [Float], side: Int = CropBatch.side) {
        precondition(crop.count == side * side, "crop is not \(side)x\(side)")
        guard flipsHorizontally || flipsVertically || scale != 1 else { return }
        let source = crop
        let centre = Float(side - 1) / 2
        let inverseScale = Float(1 / scale)
        for row in 0..<side {
            for column in 0..<side {
                let targetRow = flipsVertically ? side - 1 - row : row
                let targetColumn = flipsHorizontally ? side - 1 - column : column
                // Bilinear sample at the pre-image of (row, column) under the zoom.
                let y = (Float(row) - centre) * inverseScale + centre
                let x = (Float(column) - centre) * inverseScale + centre
                crop[targetRow * side + targetColumn] = Self.bilinear(source, side: side, y: y, x: x)
            }
        }
    }

    private static func bilinear(_ source: [Float], side: Int, y: Float, x: Float) -> Float {
        let y0 = Int(y.rounded(.down))
        let x0 = Int(x.rounded(.down))
        let fy = y - Float(y0)
        let fx = x - Float(x0)
        func at(_ row: Int, _ column: Int) -> Float {
            guard row >= 0, row < side, column >= 0, column < side else { return 0 }
            return source[row * side + column]
        }
        let top = at(y0, x0) * (1 - fx) + at(y0, x0 + 1) * fx
        let bottom = at(y0 + 1, x0) * (1 - fx) + at(y0 + 1, x0 + 1) * fx
        return top * (1 - fy) + bottom * fy
    }
}
