import EkyaCore
import EkyaML

/// Ekya's micro-profiler on real training: a few epochs on a fraction of the labelled data per
/// configuration group, accuracy after each epoch on held-out crops, time per step — extrapolated to
/// every configuration's epoch count (accuracy, by learning curve) and data size (cost, measured).
struct MicroProfiler {
    /// What profiling says about one configuration.
    struct Estimate {
        var observed: [(epochs: Double, accuracy: Double)]
        /// Predicted end accuracy per predictor, in the order of `predictors`.
        var predictedAccuracy: [Double]
        /// Predicted device-seconds of full training.
        var predictedCost: Double
    }

    let settings: RuntimeSettings
    let predictors: [any AccuracyPredictor]
    let copy: (TorchSnapshot) throws -> TorchModel

    /// What profiling one stream's window produced.
    struct Result {
        /// Per configuration (nil: pruned, or its profiling run failed).
        var estimates: [Estimate?]
        /// Device-seconds spent profiling.
        var cost: Double
        /// The best model a profiling run trained (best-validation epoch restored) and its validation
        /// accuracy, if any run ended above the starting accuracy: profiling is real training on the
        /// window's data, and its models can serve until a full retraining run finishes.
        var bestModel: (model: TorchModel, accuracy: Double)?
    }

    /// Profiles every configuration for a model and a labelled dataset.
    /// - Parameter active: configurations still worth profiling (pruning); the others get no estimate.
    func profile(
        model serving: TorchModel,
        dataset: TorchDataset,
        startAccuracy a0: Double,
        seed: UInt64,
        active: Set<Int>? = nil
    ) throws -> Result {
        let configurations = settings.configurations
        var estimates = [Estimate?](repeating: nil, count: configurations.count)
        var cost = 0.0
        var bestModel: (model: TorchModel, accuracy: Double)?
        for (position, configuration) in configurations.enumerated()
        where estimates[position] == nil && active?.contains(position) != false {
            // One profiling run per (layers, profiling data fraction, batch size) serves every configuration
            // whose profiling run would be the same one (same seed, so the same crops and steps): every
            // epoch count, and data fractions whose profiling fractions coincide.
            let fraction = settings.profilingFraction(for: configuration, images: dataset.count)
            let group = runGroup(of: position, active: active, images: dataset.count)
            let model = try copy(try serving.snapshot())
            let epochs = settings.profileEpochs
            let job = try TrainingJob(
                model: model,
                dataset: dataset,
                plan: settings.trainingPlan(
                    configuration,
                    epochs: epochs,
                    fraction: fraction,
                    seed: seed,
                    subset: settings.profilingSubset
                )
            )
            // The same run as a background profiling job, run to its end here.
            let run = ProfilingJob(
                id: "profile",
                stream: 0,
                group: group,
                fraction: fraction,
                job: job,
                meter: settings.meter
            )
            while run.hasWork(at: 0) { _ = try run.step(at: 0) }

            // A configuration whose profiling run fails (e.g. NaN loss) is not offered this window.
            guard run.failure == nil else {
                cost += run.deviceTime
                continue
            }
            // Restore the run's best-validation epoch; it may serve before any full run finishes.
            let (restored, restoreCost) = try settings.meter.charge(.none) { try job.finish() }
            cost += run.deviceTime + restoreCost
            if let accuracy = restored, accuracy > max(a0, bestModel?.accuracy ?? 0) {
                bestModel = (model, accuracy)
            }
            for (member, estimate) in try self.estimates(
                group: group,
                model: model,
                dataset: dataset,
                fraction: fraction,
                observed: run.observed,
                stepSeconds: run.stepSeconds,
                deviceSeconds: run.deviceTime,
                startAccuracy: a0,
                seed: seed
            ) {
                estimates[member] = estimate
            }
        }
        return Result(estimates: estimates, cost: cost, bestModel: bestModel)
    }

    /// The configurations one profiling run serves: same layers, profiling data fraction and batch size as
    /// `position` (same seed, so the same crops and steps), among the active ones.
    func runGroup(of position: Int, active: Set<Int>?, images: Int) -> [Int] {
        let configurations = settings.configurations
        let configuration = configurations[position]
        let fraction = settings.profilingFraction(for: configuration, images: images)
        return configurations.indices.filter {
            active?.contains($0) != false
                && configurations[$0].layers == configuration.layers
                && settings.profilingFraction(for: configurations[$0], images: images) == fraction
                && configurations[$0].batchSize == configuration.batchSize
        }
    }

    /// Every group member's estimate from one profiling run: its per-epoch validation accuracies, the
    /// device-seconds of its steps and of the whole run (validation included).
    func estimates(
        group: [Int],
        model: TorchModel,
        dataset: TorchDataset,
        fraction: Double,
        observed: [(epochs: Double, accuracy: Double)],
        stepSeconds: [Double],
        deviceSeconds seconds: Double,
        startAccuracy a0: Double,
        seed: UInt64
    ) throws -> [(Int, Estimate)] {
        let configurations = settings.configurations
        let epochs = settings.profileEpochs
        let sorted = stepSeconds.sorted()
        let perStep = sorted.isEmpty ? 0.01 * settings.slowdown : sorted[sorted.count / 2]
        // Each epoch also validates; that costs what it cost while profiling.
        let validationSeconds = max(0, seconds - sorted.reduce(0, +)) / Double(max(1, epochs))
        return try group.map { member in
            let target = configurations[member]
            let full = try TrainingJob(
                model: model,
                dataset: dataset,
                plan: settings.trainingPlan(target, epochs: target.epochs, fraction: target.dataFraction, seed: seed)
            )
            let predictedCost =
                perStep * Double(full.totalSteps) + validationSeconds * Double(target.epochs)
            // Work units: a profiling epoch covers `fraction` of the data, a target's epoch its data fraction.
            let scale = fraction / max(target.dataFraction, 1e-9)
            let worked = observed.map { (epochs: $0.epochs * scale, accuracy: $0.accuracy) }
            let accuracies = predictors.map {
                min(
                    1,
                    max(
                        0,
                        $0.predict(
                            startAccuracy: a0,
                            observed: $0.countsWork ? worked : observed,
                            epochs: Double(target.epochs)
                        )
                    )
                )
            }
            return (member, Estimate(observed: observed, predictedAccuracy: accuracies, predictedCost: predictedCost))
        }
    }
}
