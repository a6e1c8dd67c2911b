/// The layers a retraining configuration trains, as far as prediction error goes.
public enum LayerGroup: String, Sendable, Hashable, CaseIterable {
    case head
    case all
}

/// A prediction interval for the micro-profiler's end-accuracy predictions (`optimus-work` on rotating
/// profiling runs): the prediction ± a half-width per layer group and epoch count, at an 80 % nominal rate.
///
/// The half-widths are the 80th percentiles of |predicted − actual| on seeds 5–8 of the three drifting
/// presets (`ekya profile --scenario day-night,weather,class-shift --windows 1-4 --seed 5,6,7,8 --verify`,
/// 288 verified trainings); `ekya profile` reports the coverage on whatever it evaluates (seeds 1–4 in
/// docs/results.md). The errors are heavy-tailed and grow with what the profiling run did not see: one
/// epoch of the head is nearly measured, ten epochs of every layer are extrapolated.
public struct PredictionInterval: Sendable, Equatable {
    public static let nominal = 0.8

    /// Half-width in accuracy (0…1) for `group` trained `epochs` epochs.
    public static func halfWidth(group: LayerGroup, epochs: Int) -> Double {
        let column = epochs <= 2 ? 0 : epochs <= 6 ? 1 : 2
        let points: [Double] =
            switch group {
            case .head: [3.33, 5.71, 9.14]
            case .all: [9.67, 11.24, 10.81]
            }
        return points[column] / 100
    }

    public var lower: Double
    public var upper: Double

    /// The interval around `prediction`, clamped to 0…1.
    public init(prediction: Double, group: LayerGroup, epochs: Int) {
        let width = Self.halfWidth(group: group, epochs: epochs)
        lower = max(0, prediction - width)
        upper = min(1, prediction + width)
    }

    public func contains(_ accuracy: Double) -> Bool { accuracy >= lower - 1e-9 && accuracy <= upper + 1e-9 }
}
