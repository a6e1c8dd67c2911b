import EkyaCore

/// How a plan's shares become the executor's shares in a live window (pure: no jobs, no models).
///
/// Work-conserving: capacity the plan leaves unallocated goes to inference in equal parts, or, when some stream
/// can use idle capacity (refinement, a retraining job the plan gives nothing) or background profiling runs,
/// inference keeps `headroom` × its full-rate share and the rest is split among those uses. φ gives capacity
/// above the full-rate share no value, but frame costs vary from step to step, and a stream held at exactly its
/// full-rate share drops frames whenever a step runs long.
struct ShareAllocation: Equatable {
    /// One stream's part of a plan.
    struct Planned: Equatable {
        var inference: Double
        var training: Double
        /// The plan chose a configuration for the stream (its training share counts).
        var retrains: Bool
    }

    /// What a stream does with capacity a plan leaves idle.
    enum IdleUse: Equatable {
        case none
        /// No retraining job runs or is planned: it refines its serving model.
        case refines
        /// A retraining job runs that the plan gives no share: it trains on with idle capacity.
        case continuesRetraining
    }

    /// One stream's executor shares.
    struct Shares: Equatable {
        var inference: Double
        /// The retraining job's share (running or starting now).
        var training: Double
        var refinement: Double
    }

    var streams: [Shares]
    /// The background profiling run's share (0 when none runs).
    var profiling: Double

    static func allocate(
        _ planned: [Planned],
        idle: [IdleUse],
        capacity: Double,
        profiling: Bool,
        fullRate: Double,
        headroom: Double
    ) -> ShareAllocation {
        let training = planned.reduce(0) { $0 + ($1.retrains ? $1.training : 0) }
        let used = planned.reduce(0) { $0 + $1.inference + ($1.retrains ? $1.training : 0) }
        var spare = max(0, capacity - used)
        let idleSharers = idle.filter { $0 != .none }.count
        var inference = planned.map(\.inference)
        if idleSharers > 0 || profiling {
            // Inference keeps headroom; what a plan gives it beyond that (φ is flat there) and what it leaves
            // unallocated goes to the idle uses.
            let target = min(1, headroom * fullRate)
            spare += inference.map { max(0, $0 - target) }.reduce(0, +)
            inference = inference.map { min($0, target) }
            let extra = inference.map { max(0, target - $0) }
            let scale = min(1, spare / max(extra.reduce(0, +), 1e-12))
            for index in inference.indices { inference[index] += extra[index] * scale }
            spare = max(0, spare - extra.reduce(0, +) * scale)
        } else {
            inference = inference.map { $0 + spare / Double(max(1, planned.count)) }
            spare = 0
        }
        let guaranteed = guaranteeingHeadroom(
            inference: inference,
            training: training,
            fullRate: fullRate,
            headroom: headroom
        )
        // Background profiling comes first: its configurations may beat anything refinement can give.
        let profilingShare = profiling ? min(1, spare) : 0
        spare -= profilingShare
        let idleShare = idleSharers > 0 ? min(1, spare / Double(idleSharers)) : 0
        let streams = planned.indices.map { index in
            Shares(
                inference: min(1, guaranteed.inference[index]),
                training: idle[index] == .continuesRetraining
                    ? idleShare : planned[index].retrains ? planned[index].training * guaranteed.trainingScale : 0,
                refinement: idle[index] == .refines ? idleShare : 0
            )
        }
        return ShareAllocation(streams: streams, profiling: profilingShare)
    }

    /// Raises each inference share a plan set at full frame rate (at least `fullRate`) but below `headroom` ×
    /// `fullRate` to that, taking the difference from the retraining jobs' shares (`training` in all), never
    /// more than half of them; shares below `fullRate` (the plan traded frames for training) stay as they are.
    /// (A stream served at its full frame rate keeps some headroom even when the plan gives every other share
    /// to retraining: per-frame compute rises while training runs beside it.)
    ///
    /// Returns the new inference shares and the factor every retraining job's planned share is scaled by.
    static func guaranteeingHeadroom(
        inference: [Double],
        training: Double,
        fullRate: Double,
        headroom: Double
    ) -> (inference: [Double], trainingScale: Double) {
        let target = min(1, headroom * fullRate)
        let short = inference.map { $0 >= fullRate * (1 - 1e-6) ? max(0, target - $0) : 0 }
        let need = short.reduce(0, +)
        guard need > 0, training > 0 else { return (inference, 1) }
        let taken = min(need, training / 2)
        return (zip(inference, short).map { $0 + $1 * taken / need }, (training - taken) / training)
    }
}

/// What happens when a stream's retraining job finishes: the validated-swap rule (pure).
enum SwapDecision: Equatable {
    /// The job's best epoch has served since `since` and the finished model is no better: that was the swap.
    case keepServedEpoch(since: Double)
    /// The finished model validated above the serving one: it serves from now.
    case swap
    /// The finished model is no better than the serving one: it is refused.
    case refuse

    /// - Parameters:
    ///   - finished: the finished job's validation accuracy.
    ///   - servedEpoch: when the job's best epoch so far was swapped in, and its validation accuracy, if it serves.
    ///   - serving: the serving model's validation accuracy now.
    static func decide(finished: Double, servedEpoch: (time: Double, accuracy: Double)?, serving: Double) -> Self {
        if let servedEpoch, finished <= servedEpoch.accuracy { return .keepServedEpoch(since: servedEpoch.time) }
        return finished > serving ? .swap : .refuse
    }
}

/// What users of a stream got over a window, second by second (pure).
enum WindowAccuracy {
    /// Accuracy over each second `0..<seconds` of the frames that arrived in it (`arrivals` ascending, one
    /// `correct` per frame); a second without frames repeats the previous second's value (0 at the start).
    static func perSecond(arrivals: [Double], correct: [Bool], seconds: Int) -> [Double] {
        var series: [Double] = []
        var position = 0
        for second in 0..<max(0, seconds) {
            var total = 0
            var right = 0
            while position < arrivals.count, arrivals[position] < Double(second + 1) {
                total += 1
                if correct[position] { right += 1 }
                position += 1
            }
            series.append(total > 0 ? Double(right) / Double(total) : (series.last ?? 0))
        }
        return series
    }

    /// Spec §2's window-accuracy model on an executed plan: the mean over integer seconds `0...seconds` of
    /// base(k) · φ(share(k)), where base is the accuracy of the model serving at k (`served`: take-over times
    /// ascending, the first at 0) and share the inference share set last at or before k.
    static func modelled(
        served: [(time: Double, accuracy: Double)],
        shares: [(time: Double, share: Double)],
        seconds: Int,
        scaling: InferenceScaling
    ) -> Double {
        guard let first = served.first else { return 0 }
        var total = 0.0
        for second in 0...max(0, seconds) {
            let time = Double(second)
            let share = shares.last { $0.time <= time }?.share ?? 0
            let accuracy = served.last { $0.time <= time }?.accuracy ?? first.accuracy
            total += accuracy * scaling.factor(share: share)
        }
        return total / Double(max(0, seconds) + 1)
    }
}
