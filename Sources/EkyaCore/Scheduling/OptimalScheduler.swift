/// Exact scheduler (spec §7): a multiple-choice knapsack over streams × quanta, solved by dynamic programming.
///
/// When a finished job's share goes back to its own stream's inference job, a stream's window accuracy
/// depends only on its own shares and configuration, so f_v(u) = best accuracy of stream v with u quanta
/// (over every inference/training split and configuration) and the optimum of Σ f_v(u_v) with
/// Σ u_v ≤ G/Δ is exact over all quantised static plans. Training jobs are then placed on devices by
/// first-fit decreasing; if they do not pack, the best of the shrunk optimum and the thief's
/// (always placeable) plan is used and the lost accuracy is reported in ``Plan/placementLoss``.
///
/// - Complexity: O(V · (1/Δ)² · C) for the tables plus O(V · (G/Δ) · (2/Δ)) for the knapsack.
public struct OptimalScheduler: Scheduler {
    public init() {}

    public var name: String { "optimal" }

    public func plan(_ problem: PlanningProblem) -> Plan {
        let table = QuantaValueTable(problem: problem)
        let estimator = StreamEstimator(problem: problem)
        let capacity = problem.capacity
        let maxJob = capacity.maximumJobQuanta
        let total = capacity.totalQuanta
        let streamCount = problem.streams.count
        guard streamCount > 0 else { return Plan(streams: [], estimatedAccuracy: 0) }

        // f_v(u) and the (inference, training) split that reaches it.
        var bestValue: [[Double]] = []
        var bestSplit: [[(Int, Int)]] = []
        for (index, stream) in problem.streams.enumerated() {
            let trainingLimit = stream.hasTrainingJob ? maxJob : 0
            let limit = min(total, maxJob + trainingLimit)
            var values = [Double](repeating: -.infinity, count: limit + 1)
            var splits = [(Int, Int)](repeating: (0, 0), count: limit + 1)
            for inference in 0...maxJob {
                for training in 0...trainingLimit where inference + training <= limit {
                    let value = table.value(stream: index, inference: inference, training: training)
                    if value > values[inference + training] {
                        values[inference + training] = value
                        splits[inference + training] = (inference, training)
                    }
                }
            }
            for units in stride(from: 1, through: limit, by: 1) where values[units - 1] >= values[units] {
                values[units] = values[units - 1]
                splits[units] = splits[units - 1]
            }
            bestValue.append(values)
            bestSplit.append(splits)
        }

        // Knapsack over streams: dp[c] = best total using at most c quanta.
        var dp = [Double](repeating: 0, count: total + 1)
        var choice = [[Int]](repeating: [], count: streamCount)
        for stream in 0..<streamCount {
            let values = bestValue[stream]
            var next = [Double](repeating: -.infinity, count: total + 1)
            var picks = [Int](repeating: 0, count: total + 1)
            for budget in 0...total {
                for units in 0...min(budget, values.count - 1) {
                    let candidate = dp[budget - units] + values[units]
                    if candidate > next[budget] {
                        next[budget] = candidate
                        picks[budget] = units
                    }
                }
            }
            dp = next
            choice[stream] = picks
        }

        var allocation = QuantaAllocation(quanta: [Int](repeating: 0, count: 2 * streamCount), pool: 0)
        var budget = total
        for stream in stride(from: streamCount - 1, through: 0, by: -1) {
            let units = choice[stream][budget]
            let (inference, training) = bestSplit[stream][units]
            allocation.quanta[2 * stream] = inference
            allocation.quanta[2 * stream + 1] = training
            budget -= units
        }
        allocation.pool = budget

        let optimum = Plan(
            streams: allocation.streamPlans(table: table),
            estimatedAccuracy: estimator.meanAccuracy(totalSum: allocation.score(table: table))
        )
        if Placement.isFeasible(optimum.streams, capacity: capacity) { return optimum }

        // Training jobs do not pack: compare the shrunk optimum with the thief's placeable plan.
        let shrunk = Placement.finalize(optimum, problem: problem)
        let thief = ThiefScheduler().plan(problem)
        var chosen = thief.estimatedAccuracy > shrunk.estimatedAccuracy ? thief : shrunk
        chosen.placementLoss = max(0, optimum.estimatedAccuracy - chosen.estimatedAccuracy)
        return chosen
    }
}
