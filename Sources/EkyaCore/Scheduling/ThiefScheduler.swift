/// Ekya's thief scheduler (NSDI '22, Algorithm 1) with PickConfigs (Algorithm 2).
///
/// Starts from a fair split of the devices over all inference and training jobs, then lets every job
/// (thief) steal one quantum at a time from every other job (victim) as long as the mean estimated
/// window accuracy improves. PickConfigs chooses, per stream, the retraining configuration that is best
/// for the stream's (inference, training) shares; configurations that cannot finish get none. Steals
/// that would leave training jobs impossible to place on the devices are rejected.
///
/// - Complexity: O(J² · Q/Δ) steal steps for J jobs, each O(1) after a per-stream table of
///   O(V · (1/Δ)² · C) estimates.
public struct ThiefScheduler: Scheduler {
    /// Sweeps over all (thief, victim) pairs; the paper makes one, more repeat while a sweep improves.
    public let sweeps: Int
    /// Look-ahead steals: a thief keeps taking quanta from its victim past a step that does not pay and
    /// keeps the best amount taken, instead of stopping at the first step that does not improve.
    ///
    /// Algorithm 1 stops at the first quantum that does not raise the score. A retraining job is worth
    /// nothing until its share lets it finish in the window, so its value is a step in its share: the
    /// first quantum moved towards it never pays, and a paper thief never gets there once another job
    /// holds the quanta (measured live: one stream's job took half the device while a stream predicted
    /// to gain 43 points got nothing).
    public let looksAhead: Bool

    public init(sweeps: Int = 1, looksAhead: Bool = false) {
        self.sweeps = sweeps
        self.looksAhead = looksAhead
    }

    public var name: String {
        (sweeps == 1 ? "thief" : "thief-fixpoint") + (looksAhead ? "-lookahead" : "")
    }

    public func plan(_ problem: PlanningProblem) -> Plan {
        let table = QuantaValueTable(problem: problem)
        var allocation = QuantaAllocation.fair(problem: problem)
        for _ in 0..<max(1, sweeps) {
            let next = Self.steal(from: allocation, problem: problem, table: table, looksAhead: looksAhead)
            if next == allocation { break }
            allocation = next
        }
        let estimator = StreamEstimator(problem: problem)
        return Plan(
            streams: allocation.streamPlans(table: table),
            estimatedAccuracy: estimator.meanAccuracy(totalSum: allocation.score(table: table))
        )
    }

    /// Algorithm 1's loops over (thief, victim) pairs, starting at `start`.
    static func steal(
        from start: QuantaAllocation,
        problem: PlanningProblem,
        table: QuantaValueTable,
        looksAhead: Bool = false
    ) -> QuantaAllocation {
        let capacity = problem.capacity
        let maxJob = capacity.maximumJobQuanta
        let checksPacking = capacity.packing == .devices && capacity.devices > 1
        var jobs: [Int] = []
        for (index, stream) in problem.streams.enumerated() {
            jobs.append(2 * index)
            if stream.hasTrainingJob { jobs.append(2 * index + 1) }
        }
        let poolVictim = -1
        var best = start
        var scratch: [Int] = []
        scratch.reserveCapacity(jobs.count)

        func streamValue(_ allocation: QuantaAllocation, _ stream: Int) -> Double {
            table.value(
                stream: stream,
                inference: allocation.quanta[2 * stream],
                training: allocation.quanta[2 * stream + 1]
            )
        }

        for thief in jobs {
            for victim in jobs + [poolVictim] where victim != thief {
                var temp = best
                // The best allocation reached from `best` by this pair's steals, and its gain.
                var candidate: (allocation: QuantaAllocation, delta: Double)?
                while true {
                    if victim == poolVictim {
                        temp.pool -= 1
                        if temp.pool < 0 { break }
                    } else {
                        temp.quanta[victim] -= 1
                        if temp.quanta[victim] < 0 { break }
                    }
                    temp.quanta[thief] += 1
                    if temp.quanta[thief] > maxJob { break }
                    if checksPacking, thief % 2 == 1,
                        !Placement.trainingFits(
                            quanta: temp.quanta,
                            devices: capacity.devices,
                            perDevice: capacity.quantaPerDevice,
                            scratch: &scratch
                        )
                    {
                        break
                    }
                    // Only the thief's and the victim's streams change.
                    let thiefStream = thief / 2
                    var delta = streamValue(temp, thiefStream) - streamValue(best, thiefStream)
                    if victim != poolVictim, victim / 2 != thiefStream {
                        delta += streamValue(temp, victim / 2) - streamValue(best, victim / 2)
                    }
                    if looksAhead {
                        if delta > (candidate?.delta ?? 0) + 1e-12 { candidate = (temp, delta) }
                    } else if delta > 1e-12 {
                        best = temp
                    } else {
                        break
                    }
                }
                if let candidate { best = candidate.allocation }
            }
        }
        return best
    }
}
