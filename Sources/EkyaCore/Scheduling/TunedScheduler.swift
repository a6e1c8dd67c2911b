/// A base scheduler plus the project's answers to wrong predictions (issue: plan well with wrong predictions).
///
/// Before the base scheduler plans, predictions are corrected by online calibration from realised
/// outcomes; running jobs' remaining cost is re-estimated from their observed progress; new jobs' costs
/// may be inflated to a pessimistic quantile and inference may get a floor. After it plans, inference share
/// that φ cannot use (above the full-frame-rate share) and unallocated capacity are water-filled to the
/// inference jobs that gain most. Every input is in the ``PlanningProblem``: predictions for this window,
/// outcomes of jobs that already finished, progress of running ones — never the oracle.
public struct TunedScheduler: Scheduler {
    public var base: any Scheduler
    public var calibration: Calibrator.Scope
    /// Re-estimate running jobs' remaining cost from their progress.
    public var isProgressAware: Bool
    /// Seconds between progress check points (re-planning moments besides completions).
    public var checkInterval: Double?
    /// Quantile of the observed cost dispersion used to inflate new jobs' costs (nil: no inflation).
    public var robustQuantile: Double?
    /// Minimum inference share per stream (capped at the fair share).
    public var inferenceFloor: Double
    /// Hand unusable and unallocated share to inference jobs below full frame rate.
    public var isWaterFilling: Bool
    /// Factor applied to predicted accuracy gains of new jobs (1: trust them; < 1: discount them).
    public var gainShrinkage: Double
    /// Weight kept on each option's own predicted accuracy when pooling it with the stream's mean prediction
    /// (1: no pooling; 0: every option of a stream predicted alike, so cost decides).
    public var poolingWeight: Double
    /// Idle capacity retrains finished streams with further configurations (validated swaps).
    public var refinesWithIdleCapacity: Bool = false
    /// Allocation quantum the base scheduler plans in, when finer than the problem's Δ (nil: Δ).
    ///
    /// A coarse Δ leaves many streams on few devices a quantum or two each, and a fixed split that is not held to quanta
    /// then beats the optimum over them; shares stay continuous for the executor.
    public var planningQuantum: Double?
    public var label: String

    public init(
        base: any Scheduler,
        calibration: Calibrator.Scope = .none,
        isProgressAware: Bool = false,
        checkInterval: Double? = nil,
        robustQuantile: Double? = nil,
        inferenceFloor: Double = 0,
        isWaterFilling: Bool = false,
        gainShrinkage: Double = 1,
        poolingWeight: Double = 1,
        label: String
    ) {
        self.base = base
        self.calibration = calibration
        self.isProgressAware = isProgressAware
        self.checkInterval = checkInterval
        self.robustQuantile = robustQuantile
        self.inferenceFloor = inferenceFloor
        self.isWaterFilling = isWaterFilling
        self.gainShrinkage = gainShrinkage
        self.poolingWeight = poolingWeight
        self.label = label
    }

    public var name: String { label }

    public var replanInterval: Double? { checkInterval }

    public func plan(_ problem: PlanningProblem) -> Plan {
        let prepared = prepare(problem)
        var plan = base.plan(prepared)
        if isWaterFilling { plan = WaterFilling.apply(plan, problem: prepared) }
        return plan
    }

    /// The problem the base scheduler sees: calibrated, progress-corrected, robustified.
    public func prepare(_ problem: PlanningProblem) -> PlanningProblem {
        var prepared = Calibrator(scope: calibration).calibrate(problem)
        let correction = Calibrator(scope: calibration)
        if isProgressAware {
            prepared.streams = prepared.streams.map { stream in
                guard stream.isRunning, let progress = stream.progress, var option = stream.options.first else {
                    return stream
                }
                if progress.fractionComplete >= 0.01, progress.workDone > 0 {
                    // Linear progress: the work still to do follows from the work done so far.
                    let fraction = min(progress.fractionComplete, 1)
                    option.cost = max(progress.workDone * (1 - fraction) / fraction, 1e-6)
                } else {
                    let factor =
                        correction.correction(stream: stream.id, configuration: option.name, history: problem.history)
                        .costFactor
                    option.cost = max(progress.predictedTotalCost * factor - progress.workDone, 1e-6)
                }
                var updated = stream
                updated.options = [option]
                return updated
            }
        }
        if let quantile = robustQuantile {
            let factor = Self.dispersion(history: problem.history, quantile: quantile, calibration: correction)
            prepared.streams = prepared.streams.map { stream in
                guard !stream.isRunning else { return stream }
                var updated = stream
                updated.options = stream.options.map { option in
                    var inflated = option
                    inflated.cost *= factor
                    return inflated
                }
                return updated
            }
        }
        if gainShrinkage != 1 {
            prepared.streams = prepared.streams.map { stream in
                guard !stream.isRunning else { return stream }
                var updated = stream
                updated.options = stream.options.map { option in
                    var shrunk = option
                    shrunk.endAccuracy =
                        stream.currentAccuracy + gainShrinkage * (option.endAccuracy - stream.currentAccuracy)
                    return shrunk
                }
                return updated
            }
        }
        if poolingWeight != 1 {
            // Shrinkage towards the stream's mean prediction: per-option accuracy predictions are noisy
            // (several points) while the real differences between options are small, so an option's own
            // prediction only partly informs where it really ends.
            prepared.streams = prepared.streams.map { stream in
                guard !stream.isRunning, stream.options.count > 1 else { return stream }
                let mean = stream.options.reduce(0) { $0 + $1.endAccuracy } / Double(stream.options.count)
                var updated = stream
                updated.options = stream.options.map { option in
                    var pooled = option
                    pooled.endAccuracy = mean + poolingWeight * (option.endAccuracy - mean)
                    return pooled
                }
                return updated
            }
        }
        if let planningQuantum,
            let finer = Self.finerCapacity(prepared.capacity, quantum: planningQuantum)
        {
            prepared.capacity = finer
        }
        if inferenceFloor > 0, !prepared.streams.isEmpty {
            let quantum = prepared.capacity.quantum
            let fair = (prepared.capacity.total / Double(prepared.streams.count) / quantum).rounded(.down) * quantum
            prepared.inferenceFloor = min(inferenceFloor, fair)
        }
        return prepared
    }

    /// The capacity in quanta of `quantum`; nil unless that is finer than the problem's Δ.
    static func finerCapacity(_ capacity: Capacity, quantum: Double) -> Capacity? {
        guard quantum < capacity.quantum else { return nil }
        return try? Capacity(devices: capacity.devices, quantum: quantum, packing: capacity.packing)
    }

    /// Ratio of the `quantile`-th calibrated cost error to the median one (≥ 1); 1.5 before any history.
    static func dispersion(history: [RealisedOutcome], quantile: Double, calibration: Calibrator) -> Double {
        guard history.count >= 3 else { return 1.5 }
        var ratios: [Double] = []
        for (index, outcome) in history.enumerated() {
            // Leave-one-out: how wrong was the calibrated prediction for this outcome?
            var others = history
            others.remove(at: index)
            let factor = calibration.correction(
                stream: outcome.stream,
                configuration: outcome.configuration,
                history: others
            ).costFactor
            let predicted = outcome.predicted.gpuSeconds * factor
            if predicted > 0 { ratios.append(outcome.actual.gpuSeconds / predicted) }
        }
        guard !ratios.isEmpty else { return 1.5 }
        ratios.sort()
        let position = min(ratios.count - 1, max(0, Int((quantile * Double(ratios.count - 1)).rounded())))
        let median = ratios[(ratios.count - 1) / 2]
        return max(1, ratios[position] / max(median, 1e-9))
    }
}

/// Hands inference share φ cannot use, and unallocated capacity, to inference jobs below full frame rate.
public enum WaterFilling {
    public static func apply(_ plan: Plan, problem: PlanningProblem) -> Plan {
        let saturation = problem.scaling.saturationShare
        let cap = min(problem.capacity.maximumJobShare, saturation)
        var streams = plan.streams
        var available = problem.capacity.total - streams.reduce(0) { $0 + $1.inference + $1.training }
        for index in streams.indices where streams[index].inference > saturation {
            available += streams[index].inference - saturation
            streams[index].inference = saturation
        }
        let step = problem.capacity.quantum / 8
        while available > 1e-9 {
            var bestIndex: Int?
            var bestGain = 0.0
            for index in streams.indices where streams[index].inference < cap - 1e-12 {
                let current = streams[index].inference
                let increment = min(step, available, cap - current)
                let gain =
                    problem.streams[index].currentAccuracy
                    * (problem.scaling.factor(share: current + increment) - problem.scaling.factor(share: current))
                if gain > bestGain + 1e-15 {
                    bestGain = gain
                    bestIndex = index
                }
            }
            guard let index = bestIndex else { break }
            let increment = min(step, available, cap - streams[index].inference)
            streams[index].inference += increment
            available -= increment
        }
        return Plan(
            streams: streams,
            estimatedAccuracy: StreamEstimator(problem: problem).meanAccuracy(of: streams),
            placementLoss: plan.placementLoss
        )
    }
}
