import EkyaCore

/// Plays windows under the authors' simulator semantics (`--model ekya-code`).
///
/// `thief-sco` runs as their `thief_sco_scheduler` (``EkyaCode/ThiefSCO``, planning on their model),
/// `optimal` as ``EkyaCode/Optimal``; every other scheduler plans on our model and its initial plan is
/// handed to their timetable (their fair redistribution when a job finishes) and played by their rules.
public struct EkyaCodeSimulator: Sendable {
    public var settings: SimulationSettings
    public var devices: Int

    public init(settings: SimulationSettings, devices: Int) {
        self.settings = settings
        self.devices = devices
    }

    /// What happened to one stream in one window.
    public struct StreamDecision: Sendable, Equatable {
        /// The chosen configuration, nil when the stream does not retrain.
        public var configuration: String?
        /// Shares in the first timetable entry (what their `decisions.csv` calls `inf_share0`, `train_share0`).
        public var inferenceShare: Double
        public var trainingShare: Double
        public var finished: Bool
        /// The stream's window accuracy (sample-and-hold mean over 0…T).
        public var accuracy: Double
    }

    public struct Outcome: Sendable, Equatable {
        public var meanAccuracy: Double
        /// What the planner's own numbers said the window would give.
        public var plannedAccuracy: Double
        public var decisionMilliseconds: Double
        public var decisions: [StreamDecision]
        public var timetable: [EkyaCode.Entry]
    }

    /// The configurations a stream may plan with, in their order (hyper-parameter set, then epochs).
    static func ordered(_ configurations: [ConfigurationProfile]) -> [Int] {
        func key(_ name: String) -> (Int, Int)? {
            guard name.hasPrefix("hp") else { return nil }
            let parts = name.dropFirst(2).split(separator: "-")
            guard parts.count == 2, let set = Int(parts[0]), let epochs = Int(parts[1]) else { return nil }
            return (set, epochs)
        }
        let keys = configurations.map { key($0.name) }
        guard keys.allSatisfy({ $0 != nil }) else { return Array(configurations.indices) }
        return configurations.indices.sorted { left, right in
            guard let a = keys[left], let b = keys[right] else { return left < right }
            return a != b ? a < b : left < right
        }
    }

    func window(_ profiles: [StreamWindowProfile]) throws(EkyaError) -> EkyaCode.Window {
        guard let curve = EkyaCode.InferenceCurve(settings.scaling) else {
            throw .unsupportedByModel(
                model: "ekya-code",
                reason: "needs a subsampling inference profile, not a linear scaling"
            )
        }
        let delay = settings.timing.labellingDelay
        guard delay.rounded() == delay else {
            throw .unsupportedByModel(
                model: "ekya-code",
                reason:
                    "needs a labelling delay of whole seconds (their timetable runs on integer seconds), not \(delay)"
            )
        }
        return EkyaCode.Window(
            startAccuracies: profiles.map(\.startAccuracy),
            options: profiles.map { profile in
                Self.ordered(profile.configurations).compactMap { index -> EkyaCode.Option? in
                    let configuration = profile.configurations[index]
                    let planned = settings.profiles.planned(configuration)
                    // Their rule: a configuration planned to end below the start accuracy is ignored.
                    guard planned.endAccuracy >= profile.startAccuracy else { return nil }
                    return EkyaCode.Option(
                        name: configuration.name,
                        configuration: index,
                        planned: EkyaCode.Job(cost: planned.gpuSeconds, endAccuracy: planned.endAccuracy)
                    )
                }
            },
            devices: Double(devices),
            length: settings.timing.length,
            delay: Int(delay),
            curve: curve
        )
    }

    /// Runs `scheduler` on one window of `profiles` (one per stream).
    public func simulate(
        window number: Int,
        profiles: [StreamWindowProfile],
        scheduler: any Scheduler,
        stopwatch: () -> Double = { 0 }
    ) throws(EkyaError) -> Outcome {
        let window = try window(profiles)
        let started = stopwatch()
        let plan: EkyaCode.Plan
        if scheduler is ThiefSCOScheduler {
            plan = EkyaCode.ThiefSCO(stealIncrement: settings.quantum).plan(window)
        } else if scheduler is OptimalScheduler {
            plan = EkyaCode.Optimal(quantum: settings.quantum).plan(window)
        } else {
            plan = try adapted(scheduler, window: window, profiles: profiles, number: number)
        }
        let decisionMilliseconds = stopwatch() - started
        let planned = window.plannedOutcome(
            plan.timetable,
            choices: plan.choices,
            length: window.length,
            delay: window.delay
        )
        let jobs = plan.choices.indices.map { stream -> EkyaCode.Job? in
            plan.choices[stream].map { choice in
                let actual = profiles[stream].configurations[window.options[stream][choice].configuration].actual
                return EkyaCode.Job(cost: actual.gpuSeconds, endAccuracy: actual.endAccuracy)
            }
        }
        let outcome = EkyaCode.play(
            plan.timetable,
            jobs: jobs,
            startAccuracies: window.startAccuracies,
            curve: window.curve,
            length: window.length,
            delay: window.delay,
            defaultInference: window.devices / Double(window.streams)
        )
        let first = plan.timetable.first
        return Outcome(
            meanAccuracy: outcome.meanAccuracy,
            plannedAccuracy: planned.meanAccuracy,
            decisionMilliseconds: decisionMilliseconds,
            decisions: plan.choices.indices.map { stream in
                StreamDecision(
                    configuration: plan.choices[stream].map { window.options[stream][$0].name },
                    inferenceShare: first?.inference[stream] ?? 0,
                    trainingShare: first?.training[stream] ?? 0,
                    finished: outcome.finished[stream],
                    accuracy: outcome.streamAccuracies[stream]
                )
            },
            timetable: plan.timetable
        )
    }

    /// One of our schedulers plans on our model; its initial plan becomes their timetable.
    private func adapted(
        _ scheduler: any Scheduler,
        window: EkyaCode.Window,
        profiles: [StreamWindowProfile],
        number: Int
    ) throws(EkyaError) -> EkyaCode.Plan {
        let capacity = try Capacity(devices: devices, quantum: settings.quantum, packing: settings.packing)
        let streams = profiles.indices.map { stream in
            PlanningStream(
                id: profiles[stream].stream,
                currentAccuracy: window.startAccuracies[stream],
                options: window.options[stream].map {
                    PlanningOption(name: $0.name, endAccuracy: $0.planned.endAccuracy, cost: $0.planned.cost)
                }
            )
        }
        let problem = PlanningProblem(
            streams: streams,
            capacity: capacity,
            timing: settings.timing,
            scaling: settings.scaling,
            minimumAccuracy: settings.minimumAccuracy,
            window: number
        )
        let plan = scheduler.plan(problem)
        var choices = [Int?](repeating: nil, count: profiles.count)
        var initial = EkyaCode.Entry(
            time: 0,
            inference: [Double](repeating: 0, count: profiles.count),
            training: [Double](repeating: 0, count: profiles.count)
        )
        for stream in profiles.indices {
            let decision = plan.streams[stream]
            initial.inference[stream] = decision.inference
            guard let option = decision.option, decision.training > 0 else { continue }
            let name = streams[stream].options[option].name
            choices[stream] = window.options[stream].firstIndex { $0.name == name }
            initial.training[stream] = decision.training
        }
        return EkyaCode.Plan(
            choices: choices,
            timetable: EkyaCode.reallocate(initial, jobs: window.plannedJobs(choices))
        )
    }
}
