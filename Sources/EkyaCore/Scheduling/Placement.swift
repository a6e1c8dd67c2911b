/// Placing jobs onto devices.
///
/// A retraining job never spans devices (the paper's rule: no job exceeds one device). An inference job
/// processes independent frames, so it may run as replicas on several devices (frames split between
/// them); it is still capped at one device's worth of share. A plan is feasible when the training jobs
/// pack onto the devices by first-fit decreasing and all shares together fit the total capacity.
public enum Placement {
    /// Device index for each job (nil for a zero-sized job), or nil when first-fit decreasing fails.
    ///
    /// - Complexity: O(n log n + n · devices).
    public static func firstFitDecreasing(
        shares: [Double],
        devices: Int,
        tolerance: Double = 1e-9
    ) -> [Int?]? {
        let order = shares.indices.filter { shares[$0] > tolerance }.sorted { shares[$0] > shares[$1] }
        var free = [Double](repeating: 1, count: devices)
        var assignment = [Int?](repeating: nil, count: shares.count)
        for job in order {
            guard shares[job] <= 1 + tolerance,
                let device = free.firstIndex(where: { $0 + tolerance >= shares[job] })
            else { return nil }
            free[device] -= shares[job]
            assignment[job] = device
        }
        return assignment
    }

    /// Integer-quanta packing test for training jobs, used in the schedulers' inner loops.
    static func trainingFits(quanta: [Int], devices: Int, perDevice: Int, scratch: inout [Int]) -> Bool {
        if devices == 1 { return true }
        scratch.removeAll(keepingCapacity: true)
        var stride = 1
        while stride < quanta.count {
            if quanta[stride] > 0 { scratch.append(quanta[stride]) }
            stride += 2
        }
        if scratch.count <= devices { return true }
        scratch.sort(by: >)
        var free = [Int](repeating: perDevice, count: devices)
        for size in scratch {
            guard let device = free.firstIndex(where: { $0 >= size }) else { return false }
            free[device] -= size
        }
        return true
    }

    /// Whether stream plans respect `capacity`: total, per-job maximum, and training jobs packed on devices.
    public static func isFeasible(_ streams: [StreamPlan], capacity: Capacity, tolerance: Double = 1e-9) -> Bool {
        var total = 0.0
        for plan in streams {
            guard plan.inference >= -tolerance, plan.training >= -tolerance,
                plan.inference <= capacity.maximumJobShare + tolerance,
                plan.training <= capacity.maximumJobShare + tolerance
            else { return false }
            total += plan.inference + plan.training
        }
        guard total <= capacity.total + tolerance else { return false }
        guard capacity.packing == .devices else { return true }
        return firstFitDecreasing(shares: streams.map(\.training), devices: capacity.devices, tolerance: tolerance)
            != nil
    }

    /// Devices of the training jobs (first-fit decreasing), nil for streams without one; nil if they do not pack.
    public static func trainingDevices(_ streams: [StreamPlan], capacity: Capacity) -> [Int?]? {
        firstFitDecreasing(shares: streams.map(\.training), devices: capacity.devices)
    }

    /// Shrinks shares until they fit: training jobs that do not pack get the largest free space left,
    /// then inference shares are scaled down if the total still exceeds the capacity.
    public static func shrinkToFit(
        _ streams: [StreamPlan],
        capacity: Capacity,
        tolerance: Double = 1e-9
    ) -> [StreamPlan] {
        var result = streams
        let cap = capacity.maximumJobShare
        for index in result.indices {
            result[index].inference = max(0, min(result[index].inference, cap))
            result[index].training = max(0, min(result[index].training, cap))
        }
        if capacity.packing == .devices {
            let order = result.indices.filter { result[$0].training > tolerance }
                .sorted { result[$0].training > result[$1].training }
            var free = [Double](repeating: 1, count: capacity.devices)
            for index in order {
                let wanted = result[index].training
                if let device = free.firstIndex(where: { $0 + tolerance >= wanted }) {
                    free[device] -= wanted
                } else if let device = free.indices.max(by: { free[$0] < free[$1] }), free[device] > tolerance {
                    result[index].training = free[device]
                    free[device] = 0
                } else {
                    result[index].training = 0
                }
            }
        } else {
            let training = result.reduce(0) { $0 + $1.training }
            if training > capacity.total {
                for index in result.indices { result[index].training *= capacity.total / training }
            }
        }
        let training = result.reduce(0) { $0 + $1.training }
        let inference = result.reduce(0) { $0 + $1.inference }
        if training + inference > capacity.total + tolerance, inference > 0 {
            let scale = max(0, capacity.total - training) / inference
            for index in result.indices { result[index].inference *= scale }
        }
        for index in result.indices where result[index].training <= tolerance {
            result[index].training = 0
            result[index].option = nil
        }
        return result
    }

    /// Makes a plan feasible on the problem's capacity, recording the accuracy it lost.
    static func finalize(_ plan: Plan, problem: PlanningProblem) -> Plan {
        guard !isFeasible(plan.streams, capacity: problem.capacity) else { return plan }
        let streams = shrinkToFit(plan.streams, capacity: problem.capacity)
        let accuracy = StreamEstimator(problem: problem).meanAccuracy(of: streams)
        return Plan(
            streams: streams,
            estimatedAccuracy: accuracy,
            placementLoss: plan.placementLoss + max(0, plan.estimatedAccuracy - accuracy)
        )
    }
}
