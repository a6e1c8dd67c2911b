import EkyaCore

/// Which numbers a scheduler plans with; the outcome is always scored with the actual values.
public enum ProfileSource: String, Sendable, CaseIterable {
    /// Plan with what full retraining really reached and cost (an oracle).
    case oracle
    /// Plan with the micro-profiler's predictions.
    case predicted
    /// Plan with predicted accuracies and the actual costs (the authors' `predacc` mode).
    case predictedAccuracy = "predicted-accuracy"

    /// What a planner with this source believes `configuration` reaches and costs.
    public func planned(_ configuration: ConfigurationProfile) -> RetrainingOutcome {
        switch self {
        case .oracle: configuration.actual
        case .predicted: configuration.predicted ?? configuration.actual
        case .predictedAccuracy:
            RetrainingOutcome(
                endAccuracy: (configuration.predicted ?? configuration.actual).endAccuracy,
                gpuSeconds: configuration.actual.gpuSeconds
            )
        }
    }
}

/// Whose window semantics a simulation plays: ours (the default) or the authors' simulator's.
public enum SimulationModel: String, Sendable, CaseIterable {
    /// Per-job device cap, exact event times, re-planning at completions (docs/design.md).
    case ours
    /// The authors' simulator, quirks included (``EkyaCode``).
    case ekyaCode = "ekya-code"
}

/// Settings shared by every simulated window.
public struct SimulationSettings: Sendable {
    public var timing: WindowTiming
    public var quantum: Double
    public var packing: Capacity.Packing
    public var scaling: InferenceScaling
    public var policy: ReallocationPolicy
    public var profiles: ProfileSource
    public var minimumAccuracy: Double
    public var model: SimulationModel

    public init(
        timing: WindowTiming,
        quantum: Double = 0.1,
        packing: Capacity.Packing = .devices,
        scaling: InferenceScaling = .ekyaDefault,
        policy: ReallocationPolicy = .paper,
        profiles: ProfileSource = .oracle,
        minimumAccuracy: Double = 0,
        model: SimulationModel = .ours
    ) {
        self.timing = timing
        self.quantum = quantum
        self.packing = packing
        self.scaling = scaling
        self.policy = policy
        self.profiles = profiles
        self.minimumAccuracy = minimumAccuracy
        self.model = model
    }
}

/// The result of one scheduler on one window.
public struct WindowResult: Sendable, Equatable {
    public var window: Int
    public var meanAccuracy: Double
    public var streamAccuracies: [Double]
    /// What the scheduler expected at the window start (mean over streams).
    public var plannedAccuracy: Double
    public var placementLoss: Double
    public var completions: [WindowEngine.Completion]
    /// Every allocation the window ran with: total and per-job shares (for capacity checks).
    public var allocations: [[StreamPlan]]
    /// The plan made at the window start.
    public var initialPlan: Plan
    /// Wall time of the decision at the window start, by the caller's stopwatch.
    public var decisionMilliseconds: Double
    /// Outcomes of the retraining jobs that finished in this window (what later windows may learn from).
    public var realised: [RealisedOutcome]
}

/// Simulates one retraining window: plans with the chosen profiles, plays the outcome with the actual ones.
///
/// The scheduler sees only ``PlanningProblem``s built from planned numbers and, at re-planning moments,
/// the work done so far; actual end accuracies and costs stay inside this type.
public struct WindowSimulator: Sendable {
    public var settings: SimulationSettings
    public var devices: Int

    public init(settings: SimulationSettings, devices: Int) {
        self.settings = settings
        self.devices = devices
    }

    private func planned(_ configuration: ConfigurationProfile) -> RetrainingOutcome {
        settings.profiles.planned(configuration)
    }

    /// Runs `scheduler` on one window of `profiles` (one per stream).
    public func simulate(
        window: Int,
        profiles: [StreamWindowProfile],
        scheduler: any Scheduler,
        history: [RealisedOutcome] = [],
        stopwatch: () -> Double = { 0 }
    ) throws(EkyaError) -> WindowResult {
        let capacity = try Capacity(devices: devices, quantum: settings.quantum, packing: settings.packing)
        let engine = WindowEngine(
            timing: settings.timing,
            capacity: capacity,
            scaling: settings.scaling,
            policy: settings.policy
        )
        // Options each stream may plan with, and the configuration index behind each.
        var optionIndex: [[Int]] = []
        for profile in profiles {
            optionIndex.append(
                profile.configurations.indices.filter {
                    planned(profile.configurations[$0]).endAccuracy > profile.startAccuracy
                }
            )
        }

        // Outcomes the scheduler may learn from: earlier windows, then jobs finished in this one.
        var knownOutcomes = history
        var lastOption = [Int?](repeating: nil, count: profiles.count)
        var recorded = [Bool](repeating: false, count: profiles.count)
        // Configurations each stream has trained in this window (a refinement tries another one).
        var tried = [Set<Int>](repeating: [], count: profiles.count)

        func realised(stream index: Int, option: Int) -> RealisedOutcome {
            let configuration = profiles[index].configurations[option]
            return RealisedOutcome(
                stream: profiles[index].stream,
                window: window,
                configuration: configuration.name,
                predicted: configuration.predicted ?? configuration.actual,
                actual: configuration.actual
            )
        }

        /// A stream that has not started retraining in this window: every option it may plan with.
        func fresh(_ index: Int, currentAccuracy: Double) -> PlanningStream {
            let profile = profiles[index]
            return PlanningStream(
                id: profile.stream,
                currentAccuracy: currentAccuracy,
                options: optionIndex[index].map { configuration in
                    let plan = planned(profile.configurations[configuration])
                    return PlanningOption(
                        name: profile.configurations[configuration].name,
                        endAccuracy: plan.endAccuracy,
                        cost: plan.gpuSeconds
                    )
                }
            )
        }

        func problem(at time: Double, states: [WindowEngine.StreamState]?) -> PlanningProblem {
            var streams: [PlanningStream] = []
            for (index, profile) in profiles.enumerated() {
                guard let state = states?[index] else {
                    streams.append(fresh(index, currentAccuracy: profile.startAccuracy))
                    continue
                }
                if let job = state.job, !job.swapsOnlyIfBetter {
                    // A running job: planned remaining = planned cost − work observed so far.
                    let configuration = profile.configurations[job.option]
                    let actualTotal = configuration.actual.gpuSeconds
                    let done = actualTotal - engine.remaining(of: job, share: state.training, at: time)
                    let plan = planned(configuration)
                    // The step counter tells how far the job is; its total cost stays unknown.
                    let progress = JobProgress(
                        workDone: done,
                        fractionComplete: actualTotal > 0 ? min(1, done / actualTotal) : 1,
                        predictedTotalCost: plan.gpuSeconds
                    )
                    streams.append(
                        PlanningStream(
                            id: profile.stream,
                            currentAccuracy: state.base,
                            options: [
                                PlanningOption(
                                    name: configuration.name,
                                    endAccuracy: plan.endAccuracy,
                                    cost: max(plan.gpuSeconds - done, 0.01 * plan.gpuSeconds, 1e-6)
                                )
                            ],
                            isRunning: true,
                            progress: progress
                        )
                    )
                } else if state.hasFinished || state.job != nil {
                    // Finished, or refining with idle capacity outside the plan.
                    streams.append(PlanningStream(id: profile.stream, currentAccuracy: state.base, options: []))
                } else {
                    streams.append(fresh(index, currentAccuracy: state.base))
                }
            }
            return PlanningProblem(
                streams: streams,
                capacity: capacity,
                timing: settings.timing,
                now: time,
                scaling: settings.scaling,
                minimumAccuracy: settings.minimumAccuracy,
                window: window,
                history: knownOutcomes
            )
        }

        /// Turns a plan into engine states; running jobs continue, new ones start at `time`.
        func states(
            for plan: Plan,
            problem: PlanningProblem,
            previous: [WindowEngine.StreamState]?,
            at time: Double
        ) -> [WindowEngine.StreamState] {
            profiles.indices.map { index in
                let decision = plan.streams[index]
                let old = previous?[index]
                if let old, let job = old.job, job.swapsOnlyIfBetter {
                    // A refinement keeps running; ``refine(_:at:)`` gives it idle capacity again.
                    return WindowEngine.StreamState(
                        base: old.base,
                        job: job,
                        inference: decision.inference,
                        training: 0,
                        hasFinished: true
                    )
                }
                if let old, let job = old.job {
                    // The running configuration is the stream's only option.
                    let keeps = decision.option != nil
                    return WindowEngine.StreamState(
                        base: old.base,
                        job: job,
                        inference: decision.inference,
                        training: keeps ? decision.training : 0,
                        hasFinished: false
                    )
                }
                let base = old?.base ?? profiles[index].startAccuracy
                let finished = old?.hasFinished ?? false
                guard let choice = decision.option, decision.training > 0, !finished else {
                    return WindowEngine.StreamState(
                        base: base,
                        job: nil,
                        inference: decision.inference,
                        training: 0,
                        hasFinished: finished
                    )
                }
                let configurationIndex = optionIndex[index][choice]
                let actual = profiles[index].configurations[configurationIndex].actual
                return WindowEngine.StreamState(
                    base: base,
                    job: WindowEngine.Job(
                        option: configurationIndex,
                        endAccuracy: actual.endAccuracy,
                        remaining: actual.gpuSeconds,
                        anchor: time
                    ),
                    inference: decision.inference,
                    training: decision.training,
                    hasFinished: false
                )
            }
        }

        /// Capacity the plan leaves idle retrains finished streams with the untried configuration predicted
        /// most accurate that can still finish in the window; its model serves only if it ends better.
        func refine(_ states: [WindowEngine.StreamState], at time: Double) -> [WindowEngine.StreamState] {
            guard scheduler.refinesWithIdleCapacity else { return states }
            var result = states
            let quantum = capacity.quantum
            let start = max(time, settings.timing.labellingDelay)
            let candidates = result.indices.filter { result[$0].hasFinished }
                .sorted { (result[$0].job == nil ? 1 : 0, $0) < (result[$1].job == nil ? 1 : 0, $1) }
            for index in candidates {
                var job = result[index].job
                if job == nil {
                    let remaining = Double(settings.timing.length) - start
                    let options = profiles[index].configurations.indices.filter { !tried[index].contains($0) }
                    let best = options.max { first, second in
                        planned(profiles[index].configurations[first]).endAccuracy
                            < planned(profiles[index].configurations[second]).endAccuracy
                    }
                    guard let best, remaining > 0 else { continue }
                    let plan = planned(profiles[index].configurations[best])
                    guard plan.endAccuracy > profiles[index].startAccuracy else { continue }
                    let actual = profiles[index].configurations[best].actual
                    job = WindowEngine.Job(
                        option: best,
                        endAccuracy: actual.endAccuracy,
                        remaining: actual.gpuSeconds,
                        anchor: time,
                        swapsOnlyIfBetter: true
                    )
                    // Only a job predicted to finish in time with the largest share it can get.
                    guard plan.gpuSeconds / capacity.maximumJobShare <= remaining else { continue }
                }
                var share = (capacity.maximumJobShare / quantum).rounded(.down) * quantum
                while share > 1e-9 {
                    var trial = result
                    trial[index].job = job
                    trial[index].training = share
                    let plans = trial.map { StreamPlan(inference: $0.inference, training: $0.training, option: nil) }
                    if Placement.isFeasible(plans, capacity: capacity) {
                        result = trial
                        break
                    }
                    share -= quantum
                }
            }
            return result
        }

        let initialProblem = problem(at: 0, states: nil)
        let started = stopwatch()
        let initialPlan = scheduler.plan(initialProblem)
        let decisionMilliseconds = stopwatch() - started
        let initialStates = states(for: initialPlan, problem: initialProblem, previous: nil, at: 0)
        var allocations: [[StreamPlan]] = []
        let checkpoints: [Double] =
            scheduler.replanInterval.map { interval in
                Array(stride(from: interval, to: Double(settings.timing.length), by: interval))
            } ?? []
        let outcome = engine.run(
            initialStates,
            checkpoints: checkpoints,
            replan: { time, current in
                for index in current.indices where current[index].hasFinished && !recorded[index] {
                    if let option = lastOption[index] {
                        knownOutcomes.append(realised(stream: index, option: option))
                    }
                    recorded[index] = true
                }
                let replanProblem = problem(at: time, states: current)
                let plan = scheduler.plan(replanProblem)
                return refine(states(for: plan, problem: replanProblem, previous: current, at: time), at: time)
            },
            observe: { _, current in
                for index in current.indices {
                    guard let job = current[index].job else { continue }
                    tried[index].insert(job.option)
                    if !job.swapsOnlyIfBetter { lastOption[index] = job.option }
                }
                allocations.append(
                    current.map { StreamPlan(inference: $0.inference, training: $0.training, option: $0.job?.option) }
                )
            }
        )
        return WindowResult(
            window: window,
            meanAccuracy: outcome.meanAccuracy,
            streamAccuracies: outcome.meanAccuracies,
            plannedAccuracy: initialPlan.estimatedAccuracy,
            placementLoss: initialPlan.placementLoss,
            completions: outcome.completions,
            allocations: allocations,
            initialPlan: initialPlan,
            decisionMilliseconds: decisionMilliseconds,
            realised: outcome.completions.map { realised(stream: $0.stream, option: $0.option) }
        )
    }
}
