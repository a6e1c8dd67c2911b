import EkyaCore

extension EkyaCode {
    /// The exact optimum of the discretised problem under their semantics, for timetables of one shape:
    /// initial shares on a grid of `quantum`, and a finished job's share handed to its own stream's
    /// inference. Under that shape the window's accuracy is a sum over streams, so a dynamic programme
    /// over streams × quanta is exact (a stream's value is closed-form: start accuracy until the delay,
    /// then at its inference share until the job's completion shows at the next whole second, then the
    /// end accuracy). The same initial shares are also tried with their fair redistribution; whichever
    /// timetable the planner's numbers score higher is returned.
    public struct Optimal: Sendable {
        public var quantum: Double

        public init(quantum: Double = 0.25 / 3) {
            self.quantum = quantum
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
                        window, stream: stream, defaultShare: defaultShare,
                        inference: Double(inference) * quantum, training: 0, job: nil
                    )
                    if idle > best[inference].value {
                        best[inference] = Choice(value: idle, inference: inference, training: 0, option: nil)
                    }
                    for training in stride(from: 1, through: quanta - inference, by: 1) {
                        let total = inference + training
                        for (index, option) in window.options[stream].enumerated() {
                            let gain = value(
                                window, stream: stream, defaultShare: defaultShare,
                                inference: Double(inference) * quantum, training: Double(training) * quantum,
                                job: option.planned
                            )
                            if gain > best[total].value {
                                best[total] = Choice(value: gain, inference: inference, training: training, option: index)
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
            let candidates = [ownStream(initial, jobs: jobs), EkyaCode.reallocate(initial, jobs: jobs)]
            var best = Plan(choices: choices, timetable: candidates[0])
            var bestScore = -Double.infinity
            for timetable in candidates {
                let score = window.plannedOutcome(
                    timetable, choices: choices, length: window.length, delay: window.delay
                ).meanAccuracy
                if score > bestScore {
                    bestScore = score
                    best.timetable = timetable
                }
            }
            return best
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
