/// A teacher ("golden model") that labels crops so a camera's model can be retrained on them.
///
/// Ekya retrains each camera's compact model on labels from a teacher (Bhardwaj et al., NSDI '22 §3);
/// the teacher's compute cost per labelled frame is part of what the scheduler pays for retraining.
public protocol FrameLabeler: Sendable {
    /// A short name for reports, e.g. `ground-truth` or `model-teacher`.
    var name: String { get }

    /// Labels every crop of `batch`, in order.
    func label(_ batch: CropBatch) async throws -> Labeling
}

/// The labels a teacher produced and what producing them cost.
public struct Labeling: Sendable, Equatable {
    /// One class index per crop.
    public var labels: [Int]
    /// Measured compute time spent labelling the whole batch.
    public var computeTime: Duration

    /// Creates a labelling.
    public init(labels: [Int], computeTime: Duration) {
        self.labels = labels
        self.computeTime = computeTime
    }

    /// Compute time per labelled crop (zero for an empty batch).
    public var costPerFrame: Duration {
        labels.isEmpty ? .zero : computeTime / labels.count
    }

    /// Fraction of labels equal to `truth` (crops with unknown truth, `-1`, are skipped).
    public func accuracy(against truth: [Int]) -> Double {
        let known = zip(labels, truth).filter { $0.1 >= 0 }
        guard !known.isEmpty else { return 0 }
        return Double(known.filter { $0.0 == $0.1 }.count) / Double(known.count)
    }
}
