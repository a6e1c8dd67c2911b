/// How inference accuracy scales with the compute share given to a stream's inference job.
///
/// Ekya's code models inference configurations implicitly: at share r the stream must keep only every
/// s(r) = fullRateShare / r-th frame, and accuracy is multiplied by φ(s), interpolated from a measured
/// subsampling profile (`inference_subsampling_profile.csv`, column c1; φ = 1 for s ≤ 1, 0 beyond the
/// table). The paper's Table 1 example instead uses a factor equal to the share, capped at 1.
public struct InferenceScaling: Sendable, Equatable {
    /// One row of a subsampling profile: keep every `subsampling`-th frame, keep `accuracyFactor` of the accuracy.
    public struct Point: Sendable, Equatable {
        public var subsampling: Double
        public var accuracyFactor: Double

        public init(subsampling: Double, accuracyFactor: Double) {
            self.subsampling = subsampling
            self.accuracyFactor = accuracyFactor
        }
    }

    public enum Kind: Sendable, Equatable {
        /// φ(min(share, cap) / cap): accuracy factor proportional to the share (paper Table 1 uses cap 1).
        case linear(cap: Double)
        /// Subsampling profile; `fullRateShare` is the share that runs every frame (0.25 GPU for ResNet18).
        case subsampling(points: [Point], fullRateShare: Double)
    }

    public let kind: Kind

    /// Factor proportional to the share, capped at `cap` (the paper's Table 1 assumption with cap 1).
    public static func linear(cap: Double = 1) -> InferenceScaling {
        InferenceScaling(kind: .linear(cap: cap))
    }

    /// A subsampling profile; points must have increasing subsampling factors ≥ 1 and factors in 0...1.
    public static func subsampling(
        points: [Point],
        fullRateShare: Double
    ) throws(EkyaError) -> InferenceScaling {
        guard !points.isEmpty else { throw .invalidScalingTable("no rows") }
        guard fullRateShare > 0, fullRateShare <= 1 else {
            throw .invalidScalingTable("full-rate share \(fullRateShare) must be in (0, 1]")
        }
        for (index, point) in points.enumerated() {
            guard point.subsampling >= 1, point.subsampling.isFinite else {
                throw .invalidScalingTable("row \(index + 1): subsampling \(point.subsampling) must be ≥ 1")
            }
            guard (0...1).contains(point.accuracyFactor) else {
                throw .invalidScalingTable("row \(index + 1): accuracy factor \(point.accuracyFactor) must be in 0...1")
            }
            if index > 0, point.subsampling <= points[index - 1].subsampling {
                throw .invalidScalingTable("row \(index + 1): subsampling factors must increase")
            }
        }
        return InferenceScaling(kind: .subsampling(points: points, fullRateShare: fullRateShare))
    }

    /// The Ekya default: column c1 of the authors' subsampling profile, 0.25 device = full frame rate.
    public static let ekyaDefault = InferenceScaling(
        kind: .subsampling(
            points: [
                (1, 1), (2, 0.78), (3, 0.64), (4, 0.6), (5, 0.44), (6, 0.42), (7, 0.41), (8, 0.33),
                (9, 0.28), (10, 0.15), (15, 0.12), (20, 0.04),
            ].map { Point(subsampling: $0.0, accuracyFactor: $0.1) },
            fullRateShare: 0.25
        )
    )

    /// The accuracy factor φ at an inference share (a fraction of one device).
    public func factor(share: Double) -> Double {
        guard share > 0 else { return 0 }
        switch kind {
        case .linear(let cap):
            return min(share, cap) / cap
        case .subsampling(let points, let fullRateShare):
            let factor = fullRateShare / share
            if factor <= points[0].subsampling { return points[0].accuracyFactor }
            for index in 1..<points.count where factor <= points[index].subsampling {
                let low = points[index - 1]
                let high = points[index]
                let t = (factor - low.subsampling) / (high.subsampling - low.subsampling)
                return low.accuracyFactor + t * (high.accuracyFactor - low.accuracyFactor)
            }
            return 0
        }
    }

    /// The smallest share at which φ reaches its maximum (more inference share buys nothing).
    public var saturationShare: Double {
        switch kind {
        case .linear(let cap): cap
        case .subsampling(let points, let fullRateShare): fullRateShare / points[0].subsampling
        }
    }

    /// The subsampling factor (keep every k-th frame) that a share forces; infinite at share 0.
    public func subsamplingFactor(share: Double) -> Double {
        guard share > 0 else { return .infinity }
        switch kind {
        case .linear(let cap): return max(1, cap / share)
        case .subsampling(_, let fullRateShare): return max(1, fullRateShare / share)
        }
    }
}
