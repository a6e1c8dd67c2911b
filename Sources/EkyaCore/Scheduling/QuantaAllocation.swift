/// Shares in whole quanta for every job: index 2v is stream v's inference job, 2v + 1 its training job.
struct QuantaAllocation: Equatable {
    var quanta: [Int]
    /// Quanta not given to any job (a victim the thief may steal from, never a thief).
    var pool: Int

    /// A fair split: equal quanta per job (training jobs only for streams that have one), remainders to
    /// inference jobs first, each job capped at one job's maximum; what is left over stays in the pool.
    static func fair(problem: PlanningProblem) -> QuantaAllocation {
        let capacity = problem.capacity
        let streams = problem.streams
        var jobs: [Int] = []
        for (index, stream) in streams.enumerated() {
            jobs.append(2 * index)
            if stream.hasTrainingJob { jobs.append(2 * index + 1) }
        }
        var quanta = [Int](repeating: 0, count: 2 * streams.count)
        guard !jobs.isEmpty else { return QuantaAllocation(quanta: quanta, pool: capacity.totalQuanta) }
        let each = min(capacity.totalQuanta / jobs.count, capacity.maximumJobQuanta)
        var left = capacity.totalQuanta - each * jobs.count
        for job in jobs { quanta[job] = each }
        let order = jobs.filter { $0 % 2 == 0 } + jobs.filter { $0 % 2 == 1 }
        for job in order where left > 0 && quanta[job] < capacity.maximumJobQuanta {
            quanta[job] += 1
            left -= 1
        }
        var allocation = QuantaAllocation(quanta: quanta, pool: left)
        allocation.repairPacking(capacity: capacity)
        return allocation
    }

    /// Moves quanta of training jobs that do not pack onto devices back to the pool.
    mutating func repairPacking(capacity: Capacity) {
        guard capacity.packing == .devices, capacity.devices > 1 else { return }
        var free = [Int](repeating: capacity.quantaPerDevice, count: capacity.devices)
        let order = stride(from: 1, to: quanta.count, by: 2).filter { quanta[$0] > 0 }.sorted {
            quanta[$0] > quanta[$1]
        }
        for job in order {
            if let device = free.firstIndex(where: { $0 >= quanta[job] }) {
                free[device] -= quanta[job]
            } else if let device = free.indices.max(by: { free[$0] < free[$1] }) {
                let kept = free[device]
                pool += quanta[job] - kept
                quanta[job] = kept
                free[device] = 0
            }
        }
    }

    /// Converts to stream plans, choosing each stream's configuration from the table.
    func streamPlans(table: QuantaValueTable) -> [StreamPlan] {
        (0..<(quanta.count / 2)).map { stream in
            let inference = quanta[2 * stream]
            let training = quanta[2 * stream + 1]
            let option = table.option(stream: stream, inference: inference, training: training)
            return StreamPlan(
                inference: Double(inference) * table.quantum,
                training: option == nil ? 0 : Double(training) * table.quantum,
                option: option
            )
        }
    }

    /// Sum of PickConfigs accuracy sums over all streams.
    func score(table: QuantaValueTable) -> Double {
        var total = 0.0
        for stream in 0..<(quanta.count / 2) {
            total += table.value(stream: stream, inference: quanta[2 * stream], training: quanta[2 * stream + 1])
        }
        return total
    }
}
