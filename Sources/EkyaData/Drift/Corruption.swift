import Foundation

/// A covariate corruption of a crop, in the style of ImageNet-C / CIFAR-10-C (Hendrycks and Dietterich, ICLR 2019).
///
/// Each corruption takes a severity in `0...1`; severity 0 leaves the crop bit-for-bit unchanged and
/// severity 1 is the strongest setting. The random parts (noise, streak and occluder positions, blur
/// direction) come from the generator passed in, so a seeded generator reproduces a crop exactly.
public enum Corruption: String, CaseIterable, Sendable, Codable {
    /// Darkening plus Gaussian sensor noise: `x·(1 − 0.7s) + N(0, (0.15s)²)`, clamped to `0...1`.
    case night
    /// Contrast loss towards a bright haze: `x·(1 − 0.6s) + 0.6s·h`, haze `h` in `0.5...0.6`, denser at the top.
    case fog
    /// Linear motion blur over `1 + round(8s)` pixels in a random direction (horizontal, vertical or diagonal).
    case motionBlur = "motion-blur"
    /// `round(14s)` bright, slanted rain streaks 5 to 12 pixels long, brightness `0.35 + 0.4s`.
    case rain
    /// JPEG-like blocking: a 7×7 block DCT whose coefficients are quantized with step `s·0.3·(1 + u + v)`.
    case compression
    /// Partial occlusion: a flat rectangle (a hand, a price tag) covering `45s` percent of the crop.
    case occlusion

    /// The order in which a camera pipeline applies corruptions: scene, weather, optics, sensor, codec.
    public static let pipelineOrder: [Corruption] = [.occlusion, .fog, .rain, .motionBlur, .night, .compression]

    /// Applies the corruption at `severity` to a square grayscale crop of side `side` in place.
    public func apply(
        to crop: inout [Float],
        side: Int = CropBatch.side,
        severity: Float,
        using generator: inout some RandomNumberGenerator
    ) {
        precondition(crop.count == side * side, "crop is not \(side)x\(side)")
        let severity = min(max(severity, 0), 1)
        guard severity > 0 else { return }
        switch self {
        case .night: Self.night(&crop, severity: severity, using: &generator)
        case .fog: Self.fog(&crop, side: side, severity: severity, using: &generator)
        case .motionBlur: Self.motionBlur(&crop, side: side, severity: severity, using: &generator)
        case .rain: Self.rain(&crop, side: side, severity: severity, using: &generator)
        case .compression: Self.compression(&crop, side: side, severity: severity)
        case .occlusion: Self.occlusion(&crop, side: side, severity: severity, using: &generator)
        }
    }

    // MARK: - Operators

    private static func night(_ crop: inout [Float], severity: Float, using generator: inout some RandomNumberGenerator)
    {
        let gain = 1 - 0.7 * severity
        let sigma = 0.15 * severity
        for index in crop.indices {
            let value = crop[index] * gain + sigma * generator.nextGaussian()
            crop[index] = min(max(value, 0), 1)
        }
    }

    private static func fog(
        _ crop: inout [Float],
        side: Int,
        severity: Float,
        using generator: inout some RandomNumberGenerator
    ) {
        let density = 0.6 * severity
        let haze = generator.nextFloat(in: 0.5...0.6)
        for row in 0..<side {
            // Denser haze at the top of the frame (farther away), as in real fog.
            let rowDensity = density * (1 - 0.25 * Float(row) / Float(max(side - 1, 1)))
            for column in 0..<side {
                let index = row * side + column
                crop[index] = crop[index] * (1 - rowDensity) + rowDensity * haze
            }
        }
    }

    private static func motionBlur(
        _ crop: inout [Float],
        side: Int,
        severity: Float,
        using generator: inout some RandomNumberGenerator
    ) {
        let length = 1 + Int((8 * severity).rounded())
        guard length > 1 else { return }
        let directions = [(0, 1), (1, 0), (1, 1), (1, -1)]
        let (dy, dx) = directions[Int(generator.next() % UInt64(directions.count))]
        let source = crop
        let half = (length - 1) / 2
        for row in 0..<side {
            for column in 0..<side {
                var sum: Float = 0
                for step in 0..<length {
                    let offset = step - half
                    let y = row + offset * dy
                    let x = column + offset * dx
                    if y >= 0, y < side, x >= 0, x < side {
                        sum += source[y * side + x]
                    }
                }
                crop[row * side + column] = sum / Float(length)
            }
        }
    }

    private static func rain(
        _ crop: inout [Float],
        side: Int,
        severity: Float,
        using generator: inout some RandomNumberGenerator
    ) {
        let streaks = Int((14 * severity).rounded())
        let brightness = 0.35 + 0.4 * severity
        let slant = generator.nextFloat(in: 0.2...0.45)
        for _ in 0..<streaks {
            let length = 5 + Int(generator.next() % 8)
            let startX = generator.nextFloat(in: 0...Float(side - 1))
            let startY = Float(Int(generator.next() % UInt64(side)) - length / 2)
            for step in 0..<length {
                let y = Int(startY) + step
                let x = Int((startX + slant * Float(step)).rounded())
                guard y >= 0, y < side, x >= 0, x < side else { continue }
                let index = y * side + x
                crop[index] = max(crop[index], brightness)
            }
        }
    }

    private static func compression(_ crop: inout [Float], side: Int, severity: Float) {
        let block = 7
        let basis = DCTBasis.shared7
        var coefficients = [Float](repeating: 0, count: block * block)
        var temporary = [Float](repeating: 0, count: block * block)
        var pixels = [Float](repeating: 0, count: block * block)
        for blockRow in stride(from: 0, to: side, by: block) {
            for blockColumn in stride(from: 0, to: side, by: block) {
                // Gather the block (edge-replicated when the side is not a multiple of 7).
                for y in 0..<block {
                    for x in 0..<block {
                        let row = min(blockRow + y, side - 1)
                        let column = min(blockColumn + x, side - 1)
                        pixels[y * block + x] = crop[row * side + column]
                    }
                }
                basis.forward(pixels, into: &coefficients, scratch: &temporary)
                for v in 0..<block {
                    for u in 0..<block {
                        let step = severity * 0.3 * Float(1 + u + v)
                        let index = v * block + u
                        coefficients[index] = (coefficients[index] / step).rounded() * step
                    }
                }
                basis.inverse(coefficients, into: &pixels, scratch: &temporary)
                for y in 0..<block where blockRow + y < side {
                    for x in 0..<block where blockColumn + x < side {
                        crop[(blockRow + y) * side + blockColumn + x] = min(max(pixels[y * block + x], 0), 1)
                    }
                }
            }
        }
    }

    private static func occlusion(
        _ crop: inout [Float],
        side: Int,
        severity: Float,
        using generator: inout some RandomNumberGenerator
    ) {
        let area = 0.45 * severity * Float(side * side)
        let aspect = generator.nextFloat(in: 0.6...1.6)
        let height = min(side, max(1, Int((area / aspect).squareRoot().rounded())))
        let width = min(side, max(1, Int((area / Float(height)).rounded())))
        let top = Int(generator.next() % UInt64(side - height + 1))
        let left = Int(generator.next() % UInt64(side - width + 1))
        let shade = generator.nextFloat(in: 0.1...0.9)
        for row in top..<(top + height) {
            for column in left..<(left + width) {
                crop[row * side + column] = shade
            }
        }
    }
}

/// An orthonormal 2-D DCT-II basis for square blocks.
struct DCTBasis: Sendable {
    static let shared7 = DCTBasis(size: 7)

    let size: Int
    /// `matrix[k * size + n]` = c(k) cos(π (2n + 1) k / 2N).
    let matrix: [Float]

    init(size: Int) {
        self.size = size
        var matrix = [Float](repeating: 0, count: size * size)
        for k in 0..<size {
            let scale = k == 0 ? (1 / Double(size)).squareRoot() : (2 / Double(size)).squareRoot()
            for n in 0..<size {
                matrix[k * size + n] = Float(scale * cos(Double.pi * Double(2 * n + 1) * Double(k) / Double(2 * size)))
            }
        }
        self.matrix = matrix
    }

    /// `output = M · block · Mᵀ`.
    func forward(_ block: [Float], into output: inout [Float], scratch: inout [Float]) {
        transform(block, into: &output, scratch: &scratch, transposed: false)
    }

    /// `output = Mᵀ · coefficients · M`.
    func inverse(_ coefficients: [Float], into output: inout [Float], scratch: inout [Float]) {
        transform(coefficients, into: &output, scratch: &scratch, transposed: true)
    }

    private func transform(_ input: [Float], into output: inout [Float], scratch: inout [Float], transposed: Bool) {
        let n = size
        @inline(__always) func basis(_ row: Int, _ column: Int) -> Float {
            transposed ? matrix[column * n + row] : matrix[row * n + column]
        }
        // scratch = B · input
        for i in 0..<n {
            for j in 0..<n {
                var sum: Float = 0
                for k in 0..<n { sum += basis(i, k) * input[k * n + j] }
                scratch[i * n + j] = sum
            }
        }
        // output = scratch · Bᵀ
        for i in 0..<n {
            for j in 0..<n {
                var sum: Float = 0
                for k in 0..<n { sum += scratch[i * n + k] * basis(j, k) }
                output[i * n + j] = sum
            }
        }
    }
}
