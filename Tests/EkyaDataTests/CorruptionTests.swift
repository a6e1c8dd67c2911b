import EkyaCore
import EkyaData
import Testing

@Suite struct CorruptionTests {
    @Test(arguments: Corruption.allCases)
    func severityZeroLeavesTheCropUnchanged(corruption: Corruption) {
        var crop = Fixtures.sampleCrop()
        var generator = SeededGenerator(seed: 1)
        corruption.apply(to: &crop, severity: 0, using: &generator)
        #expect(crop == Fixtures.sampleCrop())
    }

    @Test(arguments: Corruption.allCases)
    func isDeterministicPerSeedAndChangesTheCrop(corruption: Corruption) {
        // Given the same crop corrupted with two generators of the same seed and one of another seed
        func corrupted(seed: UInt64) -> [Float] {
            var crop = Fixtures.sampleCrop()
            var generator = SeededGenerator(seed: seed)
            corruption.apply(to: &crop, severity: 0.8, using: &generator)
            return crop
        }
        // Then same seed, same crop; the crop changed; values stay in 0...1
        #expect(corrupted(seed: 5) == corrupted(seed: 5))
        #expect(corrupted(seed: 5) != Fixtures.sampleCrop())
        #expect(corrupted(seed: 5).allSatisfy { (0...1).contains($0) })
        if corruption != .compression {
            // Every operator but compression has a random part.
            #expect(corrupted(seed: 5) != corrupted(seed: 6))
        }
    }

    @Test func nightDarkensAndAddsNoise() {
        var crop = Fixtures.sampleCrop()
        var generator = SeededGenerator(seed: 2)
        Corruption.night.apply(to: &crop, severity: 1, using: &generator)
        // Darker overall; the bright square is no longer flat.
        #expect(Fixtures.mean(crop) < 0.6 * Fixtures.mean(Fixtures.sampleCrop()))
        let square = (8..<20).flatMap { row in (8..<20).map { crop[row * 28 + $0] } }
        #expect(Fixtures.standardDeviation(square) > 0.05)
        #expect(Fixtures.mean(square) < 0.5)
    }

    @Test func fogLowersContrastTowardsAHaze() {
        var crop = Fixtures.sampleCrop()
        var generator = SeededGenerator(seed: 3)
        Corruption.fog.apply(to: &crop, severity: 1, using: &generator)
        let before = Fixtures.standardDeviation(Fixtures.sampleCrop())
        #expect(Fixtures.standardDeviation(crop) < 0.6 * before)
        #expect(crop[0] > 0.25)  // black background became hazy
    }

    @Test func motionBlurSmearsEdgesButKeepsFlatAreas() {
        var crop = Fixtures.sampleCrop()
        var generator = SeededGenerator(seed: 4)
        Corruption.motionBlur.apply(to: &crop, severity: 1, using: &generator)
        // The centre of the 12x12 square is flat: a 9-pixel blur of it keeps 0.9.
        #expect(abs(crop[14 * 28 + 14] - 0.9) < 1e-5)
        // The corner of the square is blurred with its surroundings.
        #expect(crop[8 * 28 + 8] < 0.85)
    }

    @Test func rainAddsBrightStreaks() {
        let original = [Float](repeating: 0, count: 784)
        var crop = original
        var generator = SeededGenerator(seed: 5)
        Corruption.rain.apply(to: &crop, severity: 1, using: &generator)
        let lit = crop.filter { $0 > 0 }
        #expect(lit.count >= 30)
        #expect(lit.allSatisfy { abs($0 - 0.75) < 1e-5 })
    }

    @Test func compressionMakesBlocksFlatterWithSeverity() {
        func error(severity: Float) -> Float {
            var crop = Fixtures.sampleCrop()
            var generator = SeededGenerator(seed: 6)
            Corruption.compression.apply(to: &crop, severity: severity, using: &generator)
            return zip(crop, Fixtures.sampleCrop()).reduce(0) { $0 + abs($1.0 - $1.1) }
        }
        #expect(error(severity: 0.2) > 0)
        #expect(error(severity: 1) > error(severity: 0.2))
    }

    @Test func occlusionCoversARectangleOfTheStatedArea() {
        let original = [Float](repeating: 0, count: 784)
        var crop = original
        var generator = SeededGenerator(seed: 7)
        Corruption.occlusion.apply(to: &crop, severity: 1, using: &generator)
        let covered = crop.filter { $0 > 0 }.count
        // 45 % of 784 = 353 pixels, within rounding of the rectangle's sides.
        #expect((300...400).contains(covered))
        #expect(Set(crop.filter { $0 > 0 }).count == 1)
    }

    @Test func appearanceFlipsAndScales() {
        let crop = Fixtures.sampleCrop()
        var flipped = crop
        AppearanceChange(flipsVertically: true).apply(to: &flipped)
        #expect(flipped[0] == crop[27 * 28])
        var twice = flipped
        AppearanceChange(flipsVertically: true).apply(to: &twice)
        #expect(twice == crop)
        var shrunk = crop
        AppearanceChange(scale: 0.5).apply(to: &shrunk)
        // The bright 12x12 square shrinks to about 6x6.
        #expect((25...49).contains(shrunk.filter { $0 > 0.85 }.count))
    }
}
