import EkyaCore
import EkyaData
import EkyaML

/// Measures how a retraining job's throughput scales with its share on the executor.
///
/// Ekya measured a sub-linear curve under NVIDIA MPS (10 % share → 0.36× the full throughput). Here a
/// real training job runs at share s beside a competing one at 1 − s, both time-sliced by
/// ``ShareExecutor``; its steps per second of window time, relative to running alone at share 1, is the
/// curve the runtime should use to turn device-seconds into completion times.
public enum ShareScaling {
    public struct Point: Sendable, Equatable {
        public var share: Double
        /// Throughput relative to share 1.0.
        public var relativeThroughput: Double
    }

    /// Runs the measurement on the first `images` crops of `pool` for `horizon` seconds per share.
    public static func measure(
        pool: ImagePool,
        shares: [Double],
        horizon: Double = 4,
        images: Int = 512,
        repeats: Int = 3
    ) throws -> [Point] {
        let count = min(images, pool.count)
        let side = pool.width * pool.height
        let pixels = pool.pixels.prefix(count * side).map { Float($0) / 255 }
        let labels = pool.labels.prefix(count).map(Int.init)
        let dataset = try TorchDataset(
            pixels: pixels,
            labels: labels,
            channels: 1,
            height: pool.height,
            width: pool.width
        )
        let architecture = ModelArchitecture.small(inputChannels: 1, classCount: pool.classCount)

        func job(_ name: String, seed: UInt64) throws -> RetrainingJob {
            let model = try TorchModel(architecture, seed: seed)
            let plan = TrainingPlan(epochs: 1_000, batchSize: 32, validationFraction: 0, seed: seed, threads: 1)
            return RetrainingJob(
                id: name,
                stream: 0,
                option: 0,
                configuration: RetrainingConfiguration(name: name, epochs: 1_000, layers: .all),
                job: try TrainingJob(model: model, dataset: dataset, plan: plan),
                meter: ComputeMeter(slowdown: 1)
            )
        }

        func steps(share: Double) throws -> Double {
            let executor = ShareExecutor(tick: 0.05)
            let measured = try job("measured", seed: 1)
            executor.add(measured, share: share)
            if share < 1 { executor.add(try job("competitor", seed: 2), share: 1 - share) }
            try executor.run(until: horizon)
            return Double(measured.job.stepsRun)
        }

        // Medians of repeated runs: the machine is shared, measured step times are noisy.
        func median(share: Double) throws -> Double {
            var values = try (0..<max(1, repeats)).map { _ in try steps(share: share) }
            values.sort()
            return values[values.count / 2]
        }
        let full = try median(share: 1)
        return try shares.map { share in
            Point(share: share, relativeThroughput: full > 0 ? try median(share: share) / full : 0)
        }
    }
}
