/// The layers a retraining configuration trains, as far as prediction error goes.
public enum LayerGroup: String, Sendable, Hashable, CaseIterable {
    case head
    case all
}

/// A prediction interval for the micro-profiler's end-accuracy predictions (`optimus-work` on rotating
/// profiling runs), at an 80 % nominal rate.
///
/// The error grows with how far a prediction reaches beyond what profiling saw: the half-width is
/// `factor(group) × (3 points + ½ × |prediction − best seen|)`, where *best seen* is the highest of the
/// starting accuracy and the profiled validation accuracies. A one-epoch head run that profiling nearly
/// measured gets a narrow interval; a ten-epoch run of every layer whose fitted curve climbs far above the
/// profiled points gets a wide one. A fixed width per epoch count does not carry over between streams: a
/// class shift, whose curve takes off late, needs wider intervals than the presets beside it.
///
/// The two factors are the 80th percentiles, rounded up, of |predicted − actual| / (0.03 + ½ × extrapolation)
/// on seeds 5–8 of the three drifting presets (`ekya profile --scenario day-night,weather,class-shift --windows
/// 1-4 --seed 5,6,7,8 --verify --rows-out FILE`, 288 verified trainings); the form was chosen there too, as the
/// one whose coverage held best when a seed or a whole preset was left out of the fit. `ekya profile` reports
/// the coverage on whatever it evaluates (seeds 1–4 in docs/results.md).
public struct PredictionInterval: Sendable, Equatable {
    public static let nominal = 0.8

    /// Half-width in accuracy (0…1) of a `group` prediction `prediction` when the best accuracy profiling
    /// saw (or the starting accuracy, if higher) is `bestSeen`.
    public static func halfWidth(prediction: Double, group: LayerGroup, bestSeen: Double) -> Double {
        let factor =
            switch group {
            case .head: 1.12
            case .all: 2.44
            }
        return factor * (0.03 + 0.5 * abs(prediction - bestSeen))
    }

    public var lower: Double
    public var upper: Double

    /// The interval around `prediction`, clamped to 0…1.
    public init(prediction: Double, group: LayerGroup, bestSeen: Double) {
        let width = Self.halfWidth(prediction: prediction, group: group, bestSeen: bestSeen)
        lower = max(0, prediction - width)
        upper = min(1, prediction + width)
    }

    public func contains(_ accuracy: Double) -> Bool { accuracy >= lower - 1e-9 && accuracy <= upper + 1e-9 }
}
