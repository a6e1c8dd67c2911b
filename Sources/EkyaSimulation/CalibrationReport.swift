import EkyaCore

/// Prediction error per window before and after online calibration.
///
/// For each window, every configuration of every stream is predicted from the trace's raw prediction and,
/// for each calibration scope, from the correction learnt on the realised outcomes of the jobs a reference
/// scheduler actually ran in earlier windows. Errors are against the actual outcomes.
public struct CalibrationReport: Sendable {
    public struct Row: Sendable, Equatable {
        public var window: Int
        public var scope: Calibrator.Scope
        /// Realised outcomes the correction could learn from.
        public var samples: Int
        /// Mean absolute accuracy error, in accuracy points (0–100).
        public var accuracyError: Double
        /// Median of |actual/predicted − 1| of the cost.
        public var costError: Double
    }

    public var rows: [Row]

    /// Replays `experiment` (first stream count and device count) with `scheduler`, measuring errors.
    public init(experiment: Experiment, scheduler: any Scheduler, scopes: [Calibrator.Scope]) throws {
        try experiment.validate()
        let names = Array(experiment.streamNames.prefix(experiment.streamCounts.first ?? experiment.streamNames.count))
        let simulator = WindowSimulator(settings: experiment.settings, devices: experiment.devices.first ?? 1)
        var history: [RealisedOutcome] = []
        var rows: [Row] = []
        for window in experiment.windows.sorted() {
            let profiles = names.compactMap { experiment.trace.profile(stream: $0, window: window) }
            for scope in scopes {
                let calibrator = Calibrator(scope: scope)
                var accuracyErrors: [Double] = []
                var costErrors: [Double] = []
                for profile in profiles {
                    for configuration in profile.configurations {
                        guard let predicted = configuration.predicted else { continue }
                        let correction = calibrator.correction(
                            stream: profile.stream,
                            configuration: configuration.name,
                            history: history
                        )
                        let accuracy = min(1, max(0, predicted.endAccuracy + correction.accuracyOffset))
                        accuracyErrors.append(abs(accuracy - configuration.actual.endAccuracy) * 100)
                        if configuration.actual.gpuSeconds > 0 {
                            let cost = predicted.gpuSeconds * correction.costFactor
                            costErrors.append(abs(cost / configuration.actual.gpuSeconds - 1))
                        }
                    }
                }
                costErrors.sort()
                rows.append(
                    Row(
                        window: window,
                        scope: scope,
                        samples: history.count,
                        accuracyError: accuracyErrors.isEmpty
                            ? 0 : accuracyErrors.reduce(0, +) / Double(accuracyErrors.count),
                        costError: costErrors.isEmpty ? 0 : costErrors[costErrors.count / 2]
                    )
                )
            }
            let result = try simulator.simulate(
                window: window,
                profiles: profiles,
                scheduler: scheduler,
                history: history
            )
            history += result.realised
        }
        self.rows = rows
    }
}
