import EkyaCore

/// A teacher that returns the true labels, optionally with a configurable rate of random mistakes.
///
/// A mistaken label is a uniformly chosen *other* class. Whether a crop is mislabelled depends only on
/// the seed, the crop's source image and its timestamp, so relabelling the same crops gives the same labels.
/// Its compute cost is zero: it stands for human annotation or an oracle.
public struct GroundTruthLabeler: FrameLabeler {
    /// Probability that a crop gets a wrong label, in `0...1`.
    public let errorRate: Double
    /// Number of classes wrong labels are drawn from.
    public let classCount: Int
    /// Seed of the mistakes.
    public let seed: UInt64

    /// Creates a labeler.
    ///
    /// - Throws: ``DataError/invalidConfiguration(_:)`` unless `errorRate` is in `0...1` and there are two
    ///   or more classes.
    public init(
        errorRate: Double = 0,
        classCount: Int = FashionMNIST.classNames.count,
        seed: UInt64 = 1
    ) throws(DataError) {
        guard (0...1).contains(errorRate) else {
            throw .invalidConfiguration("label error rate must be in 0...1, got \(errorRate)")
        }
        guard classCount >= 2 else { throw .invalidConfiguration("a labeler needs at least two classes") }
        self.errorRate = errorRate
        self.classCount = classCount
        self.seed = seed
    }

    public var name: String { errorRate == 0 ? "ground-truth" : "ground-truth (error rate \(errorRate))" }

    public func label(_ batch: CropBatch) -> Labeling {
        Labeling(labels: labels(for: batch), computeTime: .zero)
    }

    /// The (possibly noisy) labels of `batch`, synchronously.
    public func labels(for batch: CropBatch) -> [Int] {
        (0..<batch.count).map { index in
            let truth = batch.labels[index]
            guard errorRate > 0, (0..<classCount).contains(truth) else { return truth }
            let (seconds, attoseconds) = batch.timestamps[index].components
            var generator = SeededGenerator(
                seed: seed,
                batch.sourceIDs[index],
                Int(truncatingIfNeeded: seconds),
                Int(truncatingIfNeeded: attoseconds / 1_000_000_000)
            )
            guard Double(generator.nextUnitFloat()) < errorRate else { return truth }
            let offset = 1 + Int(generator.next() % UInt64(classCount - 1))
            return (truth + offset) % classCount
        }
    }
}
