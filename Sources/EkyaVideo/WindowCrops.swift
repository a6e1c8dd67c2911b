import EkyaCore
import EkyaData

/// The crops of one video window as they are assembled.
///
/// Which positions are test crops (a seeded shuffle), each crop through the window's covariate
/// corruptions, then into the train or test batch. Shared by recordings (``VideoStream``) and live
/// cameras (``LiveVideoStream``).
struct WindowCrops {
    var train = CropBatch()
    var test = CropBatch()
    let isTest: [Bool]
    let drift: DriftState
    let seed: UInt64
    let index: Int

    /// Shuffles the test positions with `generator` (which the caller may go on drawing from).
    init(
        configuration: StreamConfiguration,
        index: Int,
        drift: DriftState,
        using generator: inout SeededGenerator
    ) {
        var isTest = [Bool](repeating: false, count: configuration.cropsPerWindow)
        for position in 0..<configuration.testCropsPerWindow { isTest[position] = true }
        isTest.shuffle(using: &generator)
        self.isTest = isTest
        self.drift = drift
        self.seed = configuration.seed
        self.index = index
    }

    /// Corrupts `crop` with the window's severities and files it; true when it went to the training batch.
    @discardableResult
    mutating func add(_ crop: [Float], label: Int, position: Int, timestamp: Duration, sourceID: Int) -> Bool {
        var crop = crop
        var noise = SeededGenerator(seed: seed, 0x00C0_FFEE, index, position)
        for corruption in Corruption.pipelineOrder {
            let severity = drift.covariate[corruption]
            if severity > 0 { corruption.apply(to: &crop, severity: Float(severity), using: &noise) }
        }
        if isTest[position] {
            test.append(pixels: crop, label: label, timestamp: timestamp, sourceID: sourceID)
            return false
        }
        train.append(pixels: crop, label: label, timestamp: timestamp, sourceID: sourceID)
        return true
    }
}
