import EkyaCore

/// The semantics of the authors' simulator (`edge-video-services/ekya`, `ekya/simulation`).
///
/// Reproduced so that `ekya simulate --model ekya-code` gives their numbers; docs/design.md says which
/// of them are artefacts. Everything here is arithmetic in the same order as theirs, so that ties break alike.
///
/// A window's plan is a *timetable*: shares per stream (inference, and training of at most one job) from
/// given instants on. Their rules, all kept:
/// - a training share is not capped at one device;
/// - a timetable entry at time k applies at the first integer second ≥ k + delay; before the first one,
///   every stream infers at G / n and nothing trains;
/// - a job's progress is `Σ seconds × share`; it is done when that reaches its cost, and its accuracy
///   reaches the stream's inference at the next event;
/// - inference accuracy is base × φ, φ(r) = interp(0.25 / (r + 10⁻⁶), subsampling, factor, right = 0);
/// - the metric is the sample-and-hold accuracy over integer seconds 0…T, averaged.
public enum EkyaCode {
    /// Their `INFINITY`: the completion time of a job whose last share is zero.
    static let never = 9_999_999.0

    /// One timetable entry: shares per stream from `time` on.
    public struct Entry: Sendable, Equatable {
        public var time: Double
        public var inference: [Double]
        /// Training share of the stream's job (0 when it has none or it has finished).
        public var training: [Double]

        public init(time: Double, inference: [Double], training: [Double]) {
            self.time = time
            self.inference = inference
            self.training = training
        }
    }

    /// A retraining job as one side sees it: what it costs at one device and what it reaches.
    public struct Job: Sendable, Equatable {
        public var cost: Double
        public var endAccuracy: Double

        public init(cost: Double, endAccuracy: Double) {
            self.cost = cost
            self.endAccuracy = endAccuracy
        }
    }

    /// φ with numpy's `interp` semantics (`right = 0`) and their 10⁻⁶ guard against a zero share.
    public struct InferenceCurve: Sendable {
        let subsampling: [Double]
        let factors: [Double]
        let fullRateShare: Double

        /// Nil for a linear scaling: their simulator only knows subsampling profiles.
        public init?(_ scaling: InferenceScaling) {
            guard case .subsampling(let points, let fullRateShare) = scaling.kind else { return nil }
            subsampling = points.map(\.subsampling)
            factors = points.map(\.accuracyFactor)
            self.fullRateShare = fullRateShare
        }

        public func factor(share: Double) -> Double {
            let x = fullRateShare / (share + 0.000001)
            let last = subsampling.count - 1
            if x < subsampling[0] { return factors[0] }
            if x > subsampling[last] { return 0 }
            if x == subsampling[last] { return factors[last] }
            var j = 0
            while j + 1 <= last, subsampling[j + 1] <= x { j += 1 }
            if j == last || subsampling[j] == x { return factors[j] }
            let slope = (factors[j + 1] - factors[j]) / (subsampling[j + 1] - subsampling[j])
            return slope * (x - subsampling[j]) + factors[j]
        }
    }

    /// Their `TrainingJob.completion_time`: when a job of `cost` finishes under `blocks` (time, share), sorted.
    static func completionTime(cost: Double, blocks: [(time: Double, share: Double)]) -> Double {
        var remaining = cost
        var finish = 0.0
        for index in blocks.indices {
            finish = blocks[index].time
            let share = blocks[index].share
            if index == blocks.count - 1 {
                finish = share == 0 ? never : finish + remaining / share
                break
            }
            let duration = blocks[index + 1].time - blocks[index].time
            if share != 0 {
                if remaining / share < duration {
                    finish += remaining / share
                    break
                }
                remaining -= duration * share
            }
        }
        return finish
    }

    /// Their `fair_reallocator`: a finished job's share is split over the rest.
    ///
    /// From `initial` (at time 0), each time a job finishes its share is split evenly over the jobs still
    /// running and every stream's inference. `jobs[s]` is stream s's job as
    /// the planner sees it. Entries come back sorted by time.
    public static func reallocate(_ initial: Entry, jobs: [Job?]) -> [Entry] {
        var entries = [initial]
        var running = jobs.indices.filter { jobs[$0] != nil && initial.training[$0] != 0 }
        while !running.isEmpty {
            var finished = running[0]
            var finish = Double.infinity
            for stream in running {
                guard let job = jobs[stream] else { continue }
                let time = completionTime(cost: job.cost, blocks: entries.map { ($0.time, $0.training[stream]) })
                if time < finish {
                    finish = time
                    finished = stream
                }
            }
            guard let last = entries.last else { break }
            running.removeAll { $0 == finished }
            let freed = last.training[finished] / Double(running.count + jobs.count)
            var next = Entry(
                time: finish,
                inference: last.inference.map { $0 + freed },
                training: [Double](repeating: 0, count: jobs.count)
            )
            for stream in running { next.training[stream] = last.training[stream] + freed }
            if let same = entries.firstIndex(where: { $0.time == finish }) {
                entries[same] = next
            } else {
                entries.append(next)
                entries.sort { $0.time < $1.time }
            }
        }
        return entries
    }

    /// What one played window gives per stream.
    public struct PeriodOutcome: Sendable, Equatable {
        /// Sample-and-hold accuracy over integer seconds 0…T, per stream.
        public var streamAccuracies: [Double]
        public var finished: [Bool]
        /// Device-seconds each stream's job received.
        public var trained: [Double]

        /// Their `inf_mean_auc`: the mean over streams, summed in stream order.
        public var meanAccuracy: Double {
            streamAccuracies.isEmpty ? 0 : streamAccuracies.reduce(0, +) / Double(streamAccuracies.count)
        }
    }

    /// Their `simulator.step_till_completion` with `OPT = True`.
    ///
    /// Plays `timetable` (sorted by time) for `length` seconds. `jobs[s]` is what stream s's job really costs and reaches; `defaultInference` is
    /// the share every stream infers at before the first entry applies.
    public static func play(
        _ timetable: [Entry],
        jobs: [Job?],
        startAccuracies: [Double],
        curve: InferenceCurve,
        length: Int,
        delay: Int,
        defaultInference: Double
    ) -> PeriodOutcome {
        let streams = startAccuracies.count
        let delay = Double(delay)
        var base = startAccuracies
        var trained = [Double](repeating: 0, count: streams)
        var finished = [Bool](repeating: false, count: streams)
        var records = [[(time: Int, accuracy: Double)]](repeating: [], count: streams)
        var current: Entry?
        var now = 0
        while now <= length {
            // update_instantaneous_allocation_optimized
            var key = timetable.last?.time ?? 0
            for entry in timetable {
                if Double(now) >= entry.time + delay {
                    current = entry
                } else {
                    key = entry.time
                    break
                }
            }
            let step: Int
            if now == length {
                step = 1
            } else if Double(now) == (key + delay).rounded(.towardZero) {
                step = 1
            } else if Double(now) < key + delay {
                step = Int(min(key + delay, Double(length)) - Double(now))
            } else {
                step = length - now
            }
            // step_jobs_optimized: record inference, then train for 1 s and for the rest of the step.
            for stream in 0..<streams {
                let share = current?.inference[stream] ?? defaultInference
                records[stream].append((now, base[stream] * curve.factor(share: share)))
            }
            if let entry = current {
                for seconds in [1, step - 1] where seconds > 0 {
                    for stream in 0..<streams {
                        guard let job = jobs[stream], !finished[stream] else { continue }
                        trained[stream] += Double(seconds) * entry.training[stream]
                        if job.cost <= trained[stream] {
                            finished[stream] = true
                            base[stream] = job.endAccuracy
                        }
                    }
                }
            }
            now += step
        }
        let accuracies = records.map { series -> Double in
            var sum = 0.0
            var index = 1
            for second in 0...length {
                if index < series.count, second >= series[index].time { index += 1 }
                sum += series[index - 1].accuracy
            }
            return sum / Double(length + 1)
        }
        return PeriodOutcome(streamAccuracies: accuracies, finished: finished, trained: trained)
    }
}
