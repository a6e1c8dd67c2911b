import EkyaCore

extension EkyaCode {
    /// One retraining configuration a planner may choose, with the numbers it plans with.
    public struct Option: Sendable, Equatable {
        public var name: String
        /// Index into the stream's ``StreamWindowProfile/configurations``.
        public var configuration: Int
        public var planned: Job

        public init(name: String, configuration: Int, planned: Job) {
            self.name = name
            self.configuration = configuration
            self.planned = planned
        }
    }

    /// A window as their schedulers see it.
    public struct Window: Sendable {
        public var startAccuracies: [Double]
        /// Per stream, the configurations whose planned end accuracy is at least the start accuracy.
        public var options: [[Option]]
        public var devices: Double
        public var length: Int
        public var delay: Int
        public var curve: InferenceCurve

        public init(
            startAccuracies: [Double],
            options: [[Option]],
            devices: Double,
            length: Int,
            delay: Int,
            curve: InferenceCurve
        ) {
            self.startAccuracies = startAccuracies
            self.options = options
            self.devices = devices
            self.length = length
            self.delay = delay
            self.curve = curve
        }

        var streams: Int { startAccuracies.count }

        /// The planned jobs of `choices` (indices into `options`).
        func plannedJobs(_ choices: [Int?]) -> [Job?] {
            choices.indices.map { stream in choices[stream].map { options[stream][$0].planned } }
        }

        /// Plays `timetable` as the planner believes it will go.
        func plannedOutcome(_ timetable: [Entry], choices: [Int?], length: Int, delay: Int) -> PeriodOutcome {
            EkyaCode.play(
                timetable,
                jobs: plannedJobs(choices),
                startAccuracies: startAccuracies,
                curve: curve,
                length: length,
                delay: delay,
                defaultInference: devices / Double(streams)
            )
        }
    }

    /// A plan: the configuration per stream (index into ``Window/options``) and the timetable.
    public struct Plan: Sendable, Equatable {
        public var choices: [Int?]
        public var timetable: [Entry]

        public init(choices: [Int?], timetable: [Entry]) {
            self.choices = choices
            self.timetable = timetable
        }
    }

    /// Their `thief_sco_scheduler`, step for step.
    ///
    /// It alternates single-camera configuration choice (each stream alone, at its current shares) with
    /// the thief's line search over pairwise steals, `iterations` times. Plans on a
    /// window of `length − delay` seconds with no delay, as their `MultiPeriodSimulator` asks it to.
    public struct ThiefSCO: Sendable {
        public var iterations: Int
        public var stealIncrement: Double

        public init(iterations: Int = 3, stealIncrement: Double = 0.25 / 3) {
            self.iterations = iterations
            self.stealIncrement = stealIncrement
        }

        public func plan(_ window: Window) -> Plan {
            let streams = window.streams
            let perJob = window.devices / Double(streams * 2)
            var shares = [(inference: Double, training: Double)](repeating: (perJob, perJob), count: streams)
            var choices = [Int?](repeating: nil, count: streams)
            var timetable: [Entry] = []
            for _ in 0..<iterations {
                for stream in 0..<streams {
                    choices[stream] = singleCamera(stream, window: window, shares: shares[stream])
                }
                timetable = thief(window, choices: choices)
                guard let first = timetable.first else { break }
                for stream in 0..<streams {
                    shares[stream] = (first.inference[stream], choices[stream] == nil ? 0 : first.training[stream])
                }
            }
            return Plan(choices: choices, timetable: timetable)
        }

        /// Their `single_camera_optimizer`: the option that does best for this stream alone at these shares.
        func singleCamera(_ stream: Int, window: Window, shares: (inference: Double, training: Double)) -> Int? {
            let horizon = window.length - window.delay
            var best: Int?
            var bestScore = -Double.infinity
            for (index, option) in window.options[stream].enumerated() {
                let initial = Entry(time: 0, inference: [shares.inference], training: [shares.training])
                let timetable = EkyaCode.reallocate(initial, jobs: [option.planned])
                let score = EkyaCode.play(
                    timetable,
                    jobs: [option.planned],
                    startAccuracies: [window.startAccuracies[stream]],
                    curve: window.curve,
                    length: horizon,
                    delay: 0,
                    defaultInference: window.devices
                ).meanAccuracy
                if score > bestScore {
                    bestScore = score
                    best = index
                }
            }
            return best
        }

        private enum JobRef: Equatable {
            case training(Int)
            case inference(Int)
        }

        /// Their `thief_scheduler`: from a fair split over all jobs, each job steals from every other in
        /// steps of `stealIncrement`; the best timetable seen so far is the base of the next steals.
        func thief(_ window: Window, choices: [Int?]) -> [Entry] {
            let streams = window.streams
            let horizon = window.length - window.delay
            let jobs = window.plannedJobs(choices)
            let all: [JobRef] =
                (0..<streams).filter { choices[$0] != nil }.map(JobRef.training) + (0..<streams).map(JobRef.inference)
            func share(_ entry: Entry, _ job: JobRef) -> Double {
                switch job {
                case .training(let stream): entry.training[stream]
                case .inference(let stream): entry.inference[stream]
                }
            }
            func add(_ amount: Double, to job: JobRef, in entry: inout Entry) {
                switch job {
                case .training(let stream): entry.training[stream] += amount
                case .inference(let stream): entry.inference[stream] += amount
                }
            }
            func evaluate(_ initial: Entry) -> (timetable: [Entry], score: Double) {
                let timetable = EkyaCode.reallocate(initial, jobs: jobs)
                let score = window.plannedOutcome(timetable, choices: choices, length: horizon, delay: 0).meanAccuracy
                return (timetable, score)
            }
            let fair = window.devices / Double(all.count)
            var base = Entry(
                time: 0,
                inference: [Double](repeating: fair, count: streams),
                training: choices.map { $0 == nil ? 0 : fair }
            )
            var best = evaluate(base)
            for candidate in all {
                for victim in all where victim != candidate {
                    let most = share(base, victim)
                    let steps = Int(((most + stealIncrement) / stealIncrement).rounded(.up))
                    for step in 0..<max(steps, 0) {
                        let amount = Double(step) * stealIncrement
                        var trial = base
                        let available = share(trial, victim)
                        let stolen = available < amount ? available : amount
                        add(-stolen, to: victim, in: &trial)
                        add(stolen, to: candidate, in: &trial)
                        let result = evaluate(trial)
                        if result.score > best.score { best = result }
                        if available < amount { break }
                    }
                    if let first = best.timetable.first { base = first }
                }
            }
            return best.timetable
        }
    }
}
