/// Plays one retraining window forward in (virtual) time: training progress, model swaps at completion,
/// share re-allocation, and the sample-and-hold accuracy of every stream (spec §2).
///
/// Pure and deterministic: it never sleeps and never reads a clock. The simulator drives it with the
/// *actual* costs and accuracies; schedulers that score plans by simulation drive it with planned ones.
public struct WindowEngine: Sendable {
    /// A retraining job in progress.
    public struct Job: Sendable, Equatable {
        /// Index of the configuration being trained (meaning is up to the caller).
        public var option: Int
        public var endAccuracy: Double
        /// Work left at `anchor`, in device-seconds.
        public var remaining: Double
        /// Time from which `remaining` counts (progress starts no earlier than the labelling delay).
        public var anchor: Double
        /// A refinement: its model replaces the serving one only when it ends more accurate (validated swap).
        public var swapsOnlyIfBetter: Bool

        public init(
            option: Int,
            endAccuracy: Double,
            remaining: Double,
            anchor: Double,
            swapsOnlyIfBetter: Bool = false
        ) {
            self.option = option
            self.endAccuracy = endAccuracy
            self.remaining = remaining
            self.anchor = anchor
            self.swapsOnlyIfBetter = swapsOnlyIfBetter
        }
    }

    /// A stream's state: the model accuracy it serves, its running job, and its current shares.
    public struct StreamState: Sendable, Equatable {
        public var base: Double
        public var job: Job?
        public var inference: Double
        public var training: Double
        /// True once this stream's retraining finished in this window.
        public var hasFinished: Bool

        public init(base: Double, job: Job?, inference: Double, training: Double, hasFinished: Bool = false) {
            self.base = base
            self.job = job
            self.inference = inference
            self.training = training
            self.hasFinished = hasFinished
        }
    }

    /// A retraining job that finished, and when.
    public struct Completion: Sendable, Equatable {
        public var stream: Int
        public var time: Double
        public var option: Int
    }

    /// What happened over the window.
    public struct Outcome: Sendable, Equatable {
        /// Per stream, the sum over sample seconds of the served accuracy.
        public var accuracySums: [Double]
        /// Number of sample seconds (integer seconds from the start to T inclusive).
        public var samples: Int
        public var completions: [Completion]

        /// Per stream, the mean accuracy over the window.
        public var meanAccuracies: [Double] {
            accuracySums.map { samples > 0 ? $0 / Double(samples) : 0 }
        }

        /// Mean over streams and sample seconds.
        public var meanAccuracy: Double {
            accuracySums.isEmpty || samples == 0
                ? 0 : accuracySums.reduce(0, +) / Double(samples * accuracySums.count)
        }
    }

    public var timing: WindowTiming
    public var capacity: Capacity
    public var scaling: InferenceScaling
    public var policy: ReallocationPolicy

    public init(timing: WindowTiming, capacity: Capacity, scaling: InferenceScaling, policy: ReallocationPolicy) {
        self.timing = timing
        self.capacity = capacity
        self.scaling = scaling
        self.policy = policy
    }

    /// When `job` finishes at a constant `share`, or infinity.
    public func finishTime(of job: Job, share: Double) -> Double {
        guard share > 0 else { return .infinity }
        return max(job.anchor, timing.labellingDelay) + job.remaining / share
    }

    /// Work left in `job` at time `time` when it has run at `share` since its anchor.
    public func remaining(of job: Job, share: Double, at time: Double) -> Double {
        let start = max(job.anchor, timing.labellingDelay)
        return max(0, job.remaining - share * max(0, time - start))
    }

    /// Runs the window from `start` to T.
    ///
    /// - Parameters:
    ///   - replan: called at each completion under the `paper` policy with the time and the states (jobs
    ///     not yet settled: use ``remaining(of:share:at:)``); returns the new states. A returned job with
    ///     the same option as the running one continues it; any other job starts at that time.
    ///   - observe: called with every allocation the window runs with (at the start and after each change).
    ///   - checkpoints: extra moments (seconds since the window start) at which `replan` is called whatever
    ///     the policy, e.g. for progress-aware re-planning.
    public func run(
        _ initial: [StreamState],
        from start: Double = 0,
        checkpoints: [Double] = [],
        replan: (Double, [StreamState]) -> [StreamState] = { $1 },
        observe: (Double, [StreamState]) -> Void = { _, _ in }
    ) -> Outcome {
        var states = initial
        var sums = [Double](repeating: 0, count: states.count)
        var completions: [Completion] = []
        let end = Double(timing.length)
        let firstSample = timing.firstSample(from: start)
        var now = start
        observe(now, states)
        var pendingCheckpoints = checkpoints.filter { $0 > start && $0 <= end }.sorted()
        var guardCount = 0
        while guardCount < 4 * states.count + 8 + 2 * checkpoints.count {
            guardCount += 1
            var next = Double.infinity
            for state in states {
                if let job = state.job { next = min(next, finishTime(of: job, share: state.training)) }
            }
            if let checkpoint = pendingCheckpoints.first, checkpoint < next, checkpoint <= end {
                pendingCheckpoints.removeFirst()
                accumulate(&sums, states, from: max(now, Double(firstSample)), until: checkpoint, inclusive: false)
                now = checkpoint
                let proposed = replan(now, states)
                for index in states.indices where index < proposed.count {
                    states[index] = merge(old: states[index], new: proposed[index], at: now)
                }
                observe(now, states)
                continue
            }
            if next > end {
                accumulate(&sums, states, from: max(now, Double(firstSample)), until: end, inclusive: true)
                return Outcome(accuracySums: sums, samples: timing.sampleCount(from: start), completions: completions)
            }
            accumulate(&sums, states, from: max(now, Double(firstSample)), until: next, inclusive: false)
            now = next
            var freed: [(stream: Int, share: Double)] = []
            for index in states.indices {
                guard let job = states[index].job, finishTime(of: job, share: states[index].training) <= next
                else { continue }
                completions.append(Completion(stream: index, time: next, option: job.option))
                freed.append((index, states[index].training))
                states[index].base =
                    job.swapsOnlyIfBetter ? max(states[index].base, job.endAccuracy) : job.endAccuracy
                states[index].job = nil
                states[index].training = 0
                states[index].hasFinished = true
            }
            states = reallocate(states, freed: freed, at: now, replan: replan)
            observe(now, states)
        }
        accumulate(&sums, states, from: max(now, Double(firstSample)), until: end, inclusive: true)
        return Outcome(accuracySums: sums, samples: timing.sampleCount(from: start), completions: completions)
    }

    private func accumulate(
        _ sums: inout [Double],
        _ states: [StreamState],
        from: Double,
        until: Double,
        inclusive: Bool
    ) {
        let first = Int(from.rounded(.up))
        let last = inclusive ? Int(until.rounded(.down)) : Int(until.rounded(.up)) - 1
        let count = min(last, timing.length) - first + 1
        guard count > 0 else { return }
        for index in states.indices {
            sums[index] += states[index].base * scaling.factor(share: states[index].inference) * Double(count)
        }
    }

    private func reallocate(
        _ states: [StreamState],
        freed: [(stream: Int, share: Double)],
        at time: Double,
        replan: (Double, [StreamState]) -> [StreamState]
    ) -> [StreamState] {
        let cap = capacity.maximumJobShare
        var result = states
        switch policy {
        case .paper:
            let proposed = replan(time, states)
            for index in result.indices where index < proposed.count {
                result[index] = merge(old: states[index], new: proposed[index], at: time)
            }
        case .ownStream:
            for (stream, share) in freed {
                result[stream].inference = min(result[stream].inference + share, cap)
            }
        case .codeSystem:
            for (_, share) in freed {
                let recipients = result.indices.filter { result[$0].inference > 0 }
                guard !recipients.isEmpty else { continue }
                for index in recipients {
                    result[index].inference = min(result[index].inference + share / Double(recipients.count), cap)
                }
            }
        case .codeSimulator:
            for (_, share) in freed {
                let trainers = result.indices.filter { result[$0].job != nil && result[$0].training > 0 }
                let count = Double(trainers.count + result.count)
                for index in result.indices {
                    result[index].inference = min(result[index].inference + share / count, cap)
                }
                // Training jobs cannot span devices: grow them only as far as they still pack.
                var scale = 1.0
                var grown = result
                for _ in 0..<30 {
                    grown = result
                    for index in trainers {
                        grown[index].training = min(result[index].training + scale * share / count, cap)
                    }
                    let plans = grown.map { StreamPlan(inference: $0.inference, training: $0.training, option: nil) }
                    if Placement.isFeasible(plans, capacity: capacity) { break }
                    scale /= 2
                    if scale < 1e-6 {
                        grown = result
                        break
                    }
                }
                for index in trainers {
                    grown[index] = merge(old: result[index], new: grown[index], at: time)
                }
                result = grown
            }
        }
        return result
    }

    /// Applies a new state to a stream, settling its running job's progress if its share changes.
    private func merge(old: StreamState, new: StreamState, at time: Double) -> StreamState {
        var merged = new
        guard let job = old.job, new.job?.option == job.option else { return merged }
        if new.training != old.training {
            merged.job = Job(
                option: job.option,
                endAccuracy: job.endAccuracy,
                remaining: remaining(of: job, share: old.training, at: time),
                anchor: time,
                swapsOnlyIfBetter: job.swapsOnlyIfBetter
            )
        } else {
            merged.job = job
        }
        return merged
    }
}
