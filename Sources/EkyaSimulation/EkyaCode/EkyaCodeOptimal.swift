import EkyaCore

extension EkyaCode {
    /// The exact optimum of the discretised problem under their semantics, then a search of their coupling.
    ///
    /// Exact for timetables of one shape: initial shares on a grid of `quantum`, and a finished job's
    /// share handed to its own stream's inference. Under that shape the window's accuracy is a sum over streams, so a dynamic programme
    /// over streams × quanta is exact (a stream's value is closed-form: start accuracy until the delay,
    /// then at its inference share until the job's completion shows at the next whole second, then the
    /// end accuracy). The same initial shares are also tried with their fair redistribution; whichever
    /// timetable the planner's numbers score higher is returned.
    public struct Optimal: Sendable {
        public var quantum: Double
        /// Whether to search their fair redistribution too (off: the separable optimum alone).
        public var polishes: Bool

        public init(quantum: Double = 0.25 / 3, polishes: Bool = true) {
            self.quantum = quantum
            self.polishes = polishes
        }

        struct Choice {
            var value = -Double.infinity
            var inference = 0
            var training = 0
            var option: Int?
        }

        public func plan(_ window: Window) -> Plan {
            let streams = window.streams
            let quanta = Int((window.devices / quantum + 1e-9).rounded(.down))
            let defaultShare = window.devices / Double(streams)
            // Best use of exactly q quanta (or fewer) by each stream alone.
            var perStream: [[Choice]] = []
            for stream in 0..<streams {
                var best = [Choice](repeating: Choice(), count: quanta + 1)
                for inference in 0...quanta {
                    let idle = value(
                        window,
                        stream: stream,
                        defaultShare: defaultShare,
                        inference: Double(inference) * quantum,
                        training: 0,
                        job: nil
                    )
                    if idle > best[inference].value {
                        best[inference] = Choice(value: idle, inference: inference, training: 0, option: nil)
                    }
                    for training in stride(from: 1, through: quanta - inference, by: 1) {
                        let total = inference + training
                        for (index, option) in window.options[stream].enumerated() {
                            let gain = value(
                                window,
                                stream: stream,
                                defaultShare: defaultShare,
                                inference: Double(inference) * quantum,
                                training: Double(training) * quantum,
                                job: option.planned
                            )
                            if gain > best[total].value {
                                best[total] = Choice(
                                    value: gain,
                                    inference: inference,
                                    training: training,
                                    option: index
                                )
                            }
                        }
                    }
                }
                for total in 1...max(quanta, 1) where total <= quanta && best[total - 1].value > best[total].value {
                    best[total] = best[total - 1]
                }
                perStream.append(best)
            }
            // Knapsack over streams: total[q] = best sum using at most q quanta.
            var total = [Double](repeating: 0, count: quanta + 1)
            var taken: [[Int]] = []
            for stream in 0..<streams {
                var next = [Double](repeating: -Double.infinity, count: quanta + 1)
                var pick = [Int](repeating: 0, count: quanta + 1)
                for budget in 0...quanta {
                    for used in 0...budget {
                        let candidate = total[budget - used] + perStream[stream][used].value
                        if candidate > next[budget] {
                            next[budget] = candidate
                            pick[budget] = used
                        }
                    }
                }
                total = next
                taken.append(pick)
            }
            var budget = quanta
            var chosen = [Choice](repeating: Choice(), count: streams)
            for stream in stride(from: streams - 1, through: 0, by: -1) {
                let used = taken[stream][budget]
                chosen[stream] = perStream[stream][used]
                budget -= used
            }
            let choices = chosen.map(\.option)
            let initial = Entry(
                time: 0,
                inference: chosen.map { Double($0.inference) * quantum },
                training: chosen.map { Double($0.option == nil ? 0 : $0.training) * quantum }
            )
            let jobs = window.plannedJobs(choices)
            let separable = Plan(choices: choices, timetable: ownStream(initial, jobs: jobs))
            var best = (plan: separable, score: score(separable, window: window))
            // Their fair redistribution couples the streams; search it from the optimum above and from
            // their thief's plan, and keep whichever timetable the planner's numbers score highest.
            var starts = [(choices, initial)]
            if polishes {
                let thief = ThiefSCO(stealIncrement: quantum).plan(window)
                if let first = thief.timetable.first { starts.append((thief.choices, first)) }
            }
            for (choices, initial) in starts {
                let found = polishes ? polish(choices: choices, initial: initial, window: window) : nil
                let plain = Plan(
                    choices: choices,
                    timetable: EkyaCode.reallocate(initial, jobs: window.plannedJobs(choices))
                )
                for plan in [plain, found].compactMap({ $0 }) {
                    let value = score(plan, window: window)
                    if value > best.score { best = (plan, value) }
                }
            }
            return best.plan
        }

        /// The window's accuracy as the planner's numbers play it (their execution rules, delay included).
        func score(_ plan: Plan, window: Window) -> Double {
            window.plannedOutcome(plan.timetable, choices: plan.choices, length: window.length, delay: window.delay)
                .meanAccuracy
        }

        /// Local search under their fair redistribution: move 4, 2 or 1 quanta between any two jobs (or
        /// from unused capacity), or switch a stream's configuration, while the planned accuracy rises.
        func polish(choices start: [Int?], initial: Entry, window: Window) -> Plan {
            var choices = start
            var entry = initial
            func plan(_ choices: [Int?], _ entry: Entry) -> Plan {
                Plan(choices: choices, timetable: EkyaCode.reallocate(entry, jobs: window.plannedJobs(choices)))
            }
            var best = score(plan(choices, entry), window: window)
            let streams = window.streams
            // Job slots: 0..<n inference, n..<2n training, 2n unused capacity.
            func share(_ entry: Entry, _ slot: Int) -> Double {
                if slot < streams { return entry.inference[slot] }
                if slot < 2 * streams { return entry.training[slot - streams] }
                return window.devices - entry.inference.reduce(0, +) - entry.training.reduce(0, +)
            }
            func add(_ amount: Double, _ slot: Int, _ entry: inout Entry) {
                if slot < streams {
                    entry.inference[slot] += amount
                } else if slot < 2 * streams {
                    entry.training[slot - streams] += amount
                }
            }
            for _ in 0..<500 {
                var improved = false
                for stream in 0..<streams {
                    for option in [nil] + window.options[stream].indices.map(Optional.some)
                    where option != choices[stream] {
                        var trialChoices = choices
                        trialChoices[stream] = option
                        var trial = entry
                        if option == nil {
                            trial.inference[stream] += trial.training[stream]
                            trial.training[stream] = 0
                        }
                        let value = score(plan(trialChoices, trial), window: window)
                        if value > best + 1e-12 {
                            (best, choices, entry, improved) = (value, trialChoices, trial, true)
                        }
                    }
                }
                for amount in [4 * quantum, 2 * quantum, quantum] {
                    for from in 0...(2 * streams) {
                        for to in 0..<(2 * streams) where to != from {
                            if to >= streams, choices[to - streams] == nil { continue }
                            let moved = min(amount, share(entry, from))
                            guard moved > 1e-12 else { continue }
                            var trial = entry
                            add(-moved, from, &trial)
                            add(moved, to, &trial)
                            let value = score(plan(choices, trial), window: window)
                            if value > best + 1e-12 {
                                (best, entry, improved) = (value, trial, true)
                            }
                        }
                    }
                }
                if !improved { break }
            }
            return plan(choices, entry)
        }

        /// A stream's planned mean accuracy over the window (their metric) at fixed shares, its finished
        /// job's share moving to its own inference.
        func value(
            _ window: Window,
            stream: Int,
            defaultShare: Double,
            inference: Double,
            training: Double,
            job: Job?
        ) -> Double {
            let start = window.startAccuracies[stream]
            let delay = Double(window.delay)
            let seconds = Double(window.length + 1)
            let before = delay * start * window.curve.factor(share: defaultShare)
            let serving = start * window.curve.factor(share: inference)
            guard let job, training > 0 else { return (before + (seconds - delay) * serving) / seconds }
            // The completion shows at the first whole second at or after cost / share + delay.
            let shows = min((job.cost / training + delay).rounded(.up), seconds)
            let after = job.endAccuracy * window.curve.factor(share: inference + training)
            return (before + (shows - delay) * serving + (seconds - shows) * after) / seconds
        }

        /// Initial shares, then each job's share goes to its own stream's inference when it finishes.
        func ownStream(_ initial: Entry, jobs: [Job?]) -> [Entry] {
            var finishes: [(time: Double, stream: Int)] = []
            for (stream, job) in jobs.enumerated() {
                if let job, initial.training[stream] > 0 {
                    finishes.append((job.cost / initial.training[stream], stream))
                }
            }
            finishes.sort { $0.time < $1.time }
            var entries = [initial]
            var current = initial
            for finish in finishes {
                current.time = finish.time
                current.inference[finish.stream] += current.training[finish.stream]
                current.training[finish.stream] = 0
                if entries.last?.time == finish.time {
                    entries[entries.count - 1] = current
                } else {
                    entries.append(current)
                }
            }
            return entries
        }
    }
}
