/// The authors' research-code variant of the thief scheduler (`thief_sco`, spec §3).
///
/// Three outer iterations; each (a) picks per stream the best configuration for its current
/// (inference, training) pair, keeping only configurations predicted to beat the start accuracy, then
/// (b) restarts from a fair split and, for every (thief, victim) pair, tries every steal amount
/// 0, Δ, 2Δ, … (no early break), scoring each candidate by simulating the whole window with the
/// `code-simulator` re-allocation, and keeps the best allocation after each victim.
///
/// - Complexity: O(iterations · J² · (1/Δ) · simulation), each simulation O(V²); meant for tens of streams.
public struct ThiefSCOScheduler: Scheduler {
    public let iterations: Int

    public init(iterations: Int = 3) {
        self.iterations = iterations
    }

    public var name: String { "thief-sco" }

    public func plan(_ problem: PlanningProblem) -> Plan {
        let capacity = problem.capacity
        let estimator = StreamEstimator(problem: problem)
        let engine = WindowEngine(
            timing: problem.timing,
            capacity: capacity,
            scaling: problem.scaling,
            policy: .codeSimulator
        )
        let streams = problem.streams
        let fair = QuantaAllocation.fair(problem: problem)
        var allocation = fair
        var configurations = [Int?](repeating: nil, count: streams.count)
        var scratch: [Int] = []

        func simulate(_ candidate: QuantaAllocation) -> Double {
            let states = streams.indices.map { index -> WindowEngine.StreamState in
                let training = Double(candidate.quanta[2 * index + 1]) * capacity.quantum
                let job = configurations[index].map { option in
                    WindowEngine.Job(
                        option: option,
                        endAccuracy: streams[index].options[option].endAccuracy,
                        remaining: streams[index].options[option].cost,
                        anchor: problem.now
                    )
                }
                return WindowEngine.StreamState(
                    base: streams[index].currentAccuracy,
                    job: training > 0 ? job : nil,
                    inference: Double(candidate.quanta[2 * index]) * capacity.quantum,
                    training: job == nil ? 0 : training
                )
            }
            return engine.run(states, from: problem.now).accuracySums.reduce(0, +)
        }

        for _ in 0..<iterations {
            // (a) Per-stream configuration for the current pair.
            for index in streams.indices {
                configurations[index] =
                    estimator.best(
                        stream: streams[index],
                        inference: Double(allocation.quanta[2 * index]) * capacity.quantum,
                        training: Double(allocation.quanta[2 * index + 1]) * capacity.quantum
                    ).option
            }
            // (b) Full line search per (thief, victim), greedy after each victim.
            allocation = fair
            var score = simulate(allocation)
            var jobs: [Int] = []
            for index in streams.indices {
                jobs.append(2 * index)
                if configurations[index] != nil { jobs.append(2 * index + 1) }
            }
            for thief in jobs {
                for victim in jobs where victim != thief {
                    var bestCandidate = allocation
                    var temp = allocation
                    while true {
                        temp.quanta[victim] -= 1
                        temp.quanta[thief] += 1
                        if temp.quanta[victim] < 0 || temp.quanta[thief] > capacity.maximumJobQuanta { break }
                        if capacity.packing == .devices, thief % 2 == 1,
                            !Placement.trainingFits(
                                quanta: temp.quanta,
                                devices: capacity.devices,
                                perDevice: capacity.quantaPerDevice,
                                scratch: &scratch
                            )
                        {
                            break
                        }
                        let candidateScore = simulate(temp)
                        if candidateScore > score + 1e-12 {
                            score = candidateScore
                            bestCandidate = temp
                        }
                    }
                    allocation = bestCandidate
                }
            }
        }

        let plans = streams.indices.map { index in
            let option = configurations[index]
            return StreamPlan(
                inference: Double(allocation.quanta[2 * index]) * capacity.quantum,
                training: option == nil ? 0 : Double(allocation.quanta[2 * index + 1]) * capacity.quantum,
                option: option
            )
        }
        return Plan(streams: plans, estimatedAccuracy: estimator.meanAccuracy(of: plans))
    }
}
