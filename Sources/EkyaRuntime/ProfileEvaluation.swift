import EkyaCore
import EkyaData
import EkyaDataML
import EkyaML
import Foundation

/// Micro-profiles every configuration of a stream's windows, then trains each fully, so predicted and
/// actual accuracy and cost can be compared per predictor (`ekya profile --verify`).
public struct ProfileEvaluation {
    /// One configuration of one window: predictions and, after full training, what really happened.
    public struct Row: Sendable {
        public var stream: String
        public var window: Int
        public var configuration: String
        public var epochs: Int
        public var layers: LayerGroup = .head
        public var startAccuracy: Double
        /// Per predictor (in the order given), predicted end accuracy.
        public var predictedAccuracy: [Double]
        public var predictedCost: Double
        public var actualAccuracy: Double
        public var actualCost: Double
        /// What profiling observed for this configuration's group: (profiling epoch, validation accuracy).
        public var observed: [(epochs: Double, accuracy: Double)] = []
        /// Validation accuracy after each epoch of the full training run.
        public var trainingCurve: [Double] = []
        /// Accuracy of the starting and of the retrained model on the window's inference frames.
        public var startTestAccuracy: Double = 0
        public var actualTestAccuracy: Double = 0

        /// The highest accuracy this row's profiling saw: the starting one or a profiled point.
        public var bestSeen: Double { observed.map(\.accuracy).reduce(startAccuracy, max) }

        /// The ``PredictionInterval`` around predictor `index`'s prediction.
        public func interval(predictor index: Int) -> PredictionInterval {
            PredictionInterval(prediction: predictedAccuracy[index], group: layers, bestSeen: bestSeen)
        }
    }

    /// Error statistics of one predictor.
    public struct Summary: Sendable {
        public var predictor: String
        /// Median |predicted − actual| in accuracy points.
        public var medianAbsoluteError: Double
        /// Mean (predicted − actual) in accuracy points (> 0: over-prediction).
        public var meanSignedError: Double
        /// Mean signed error per epoch count.
        public var biasByEpochs: [Int: Double]
        /// Share of rows whose actual accuracy lies in the ``PredictionInterval`` around the prediction
        /// (only for `optimus-work`, the predictor the interval is calibrated for).
        public var intervalCoverage: Double?
    }

    public var rows: [Row]
    public var predictors: [String]
    /// Device-seconds spent profiling and spent training every configuration fully.
    public var profilingCost: Double
    public var exhaustiveCost: Double

    public var profilingCostFraction: Double { exhaustiveCost > 0 ? profilingCost / exhaustiveCost : 0 }

    /// Several evaluations (one per scenario, same predictors) pooled into one.
    public init(pooling parts: [ProfileEvaluation]) {
        rows = parts.flatMap(\.rows)
        predictors = parts.first?.predictors ?? []
        profilingCost = parts.map(\.profilingCost).reduce(0, +)
        exhaustiveCost = parts.map(\.exhaustiveCost).reduce(0, +)
    }

    /// Runs the evaluation for one scenario over `windows` (1-based, after the initial window 0).
    public init(
        settings: RuntimeSettings,
        pool: ImagePool,
        scenario: ScenarioPreset,
        windows: ClosedRange<Int>,
        predictors: [any AccuracyPredictor],
        progress: (String) -> Void = { _ in }
    ) throws {
        var settings = settings
        settings.scenarios = [scenario]
        settings.windows = windows.upperBound
        let runtime = try LiveRuntime(settings: settings, pool: pool)
        try runtime.prepare()
        var serving = try runtime.copy(try runtime.initialSnapshot(0))
        let chosenPredictors = predictors
        let profiler = MicroProfiler(
            settings: settings,
            predictors: predictors,
            copy: { try runtime.copy($0) }
        )
        var rows: [Row] = []
        var profilingCost = 0.0
        var exhaustiveCost = 0.0
        for window in windows {
            let data = runtime.windowData(window)[0]
            let seed = settings.seed &+ UInt64(window) &* 1_000_003
            let dataset = try CropModels.dataset(data.train, labels: data.train.labels)
            let probe = try TrainingJob(
                model: try runtime.copy(try serving.snapshot()),
                dataset: dataset,
                plan: settings.trainingPlan(settings.configurations[0], epochs: 1, fraction: 1, seed: seed)
            )
            let a0 = try serving.accuracy(on: dataset, indices: probe.validationIndices)
            let a0Test = try CropModels.accuracy(of: serving, on: data.test)
            let profiled = try profiler.profile(
                model: serving,
                dataset: dataset,
                startAccuracy: a0,
                seed: seed
            )
            let estimates = profiled.estimates
            profilingCost += profiled.cost
            var best: (accuracy: Double, model: TorchModel)?
            for (index, configuration) in settings.configurations.enumerated() {
                let model = try runtime.copy(try serving.snapshot())
                let job = try TrainingJob(
                    model: model,
                    dataset: dataset,
                    plan: settings.trainingPlan(
                        configuration,
                        epochs: configuration.epochs,
                        fraction: configuration.dataFraction,
                        seed: seed
                    )
                )
                var curve: [Double] = []
                var actualCost = 0.0
                while !job.isFinished {
                    let (reports, cost) = try settings.meter.charge(
                        { try job.train(steps: 256) },
                        work: { .training($0, of: job) }
                    )
                    curve += reports.compactMap(\.validationAccuracy)
                    actualCost += cost
                }
                let accuracy = try job.finish() ?? a0
                let testAccuracy = try CropModels.accuracy(of: model, on: data.test)
                exhaustiveCost += actualCost
                rows.append(
                    Row(
                        stream: scenario.rawValue,
                        window: window,
                        configuration: configuration.name,
                        epochs: configuration.epochs,
                        layers: configuration.layers == .headOnly ? .head : .all,
                        startAccuracy: a0,
                        predictedAccuracy: estimates[index]?.predictedAccuracy ?? chosenPredictors.map { _ in a0 },
                        predictedCost: estimates[index]?.predictedCost ?? 0,
                        actualAccuracy: accuracy,
                        actualCost: actualCost,
                        observed: estimates[index]?.observed ?? [],
                        trainingCurve: curve,
                        startTestAccuracy: a0Test,
                        actualTestAccuracy: testAccuracy
                    )
                )
                if accuracy > (best?.accuracy ?? a0) { best = (accuracy, model) }
            }
            progress("window \(window): profiled and verified \(settings.configurations.count) configurations")
            if let best { serving = best.model }
        }
        // Ours: the first predictor corrected by what earlier windows' verified outcomes say about its bias
        // (online: window w only learns from windows < w).
        let calibrator = Calibrator(scope: .hierarchical)
        var outcomes: [RealisedOutcome] = []
        for window in windows {
            let indices = rows.indices.filter { rows[$0].window == window }
            for index in indices {
                let correction = calibrator.correction(
                    stream: rows[index].stream,
                    configuration: rows[index].configuration,
                    history: outcomes
                )
                let raw = rows[index].predictedAccuracy.first ?? rows[index].startAccuracy
                rows[index].predictedAccuracy.append(min(1, max(0, raw + correction.accuracyOffset)))
            }
            for index in indices {
                outcomes.append(
                    RealisedOutcome(
                        stream: rows[index].stream,
                        window: window,
                        configuration: rows[index].configuration,
                        predicted: RetrainingOutcome(
                            endAccuracy: rows[index].predictedAccuracy.first ?? 0,
                            gpuSeconds: rows[index].predictedCost
                        ),
                        actual: RetrainingOutcome(
                            endAccuracy: rows[index].actualAccuracy,
                            gpuSeconds: rows[index].actualCost
                        )
                    )
                )
            }
        }
        self.rows = rows
        self.predictors = predictors.map(\.name) + ["\(predictors.first?.name ?? "none")+history"]
        self.profilingCost = profilingCost
        self.exhaustiveCost = exhaustiveCost
    }

    /// Error statistics per predictor.
    public var summaries: [Summary] {
        predictors.indices.map { index in
            let errors = rows.map { ($0.predictedAccuracy[index] - $0.actualAccuracy) * 100 }
            let sorted = errors.map(abs).sorted()
            let median =
                sorted.isEmpty
                ? 0
                : sorted.count % 2 == 1
                    ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
            var bias: [Int: Double] = [:]
            for epochs in Set(rows.map(\.epochs)) {
                let selected = rows.indices.filter { rows[$0].epochs == epochs }.map { errors[$0] }
                bias[epochs] = selected.reduce(0, +) / Double(max(1, selected.count))
            }
            let covered = rows.filter { $0.interval(predictor: index).contains($0.actualAccuracy) }
            return Summary(
                predictor: predictors[index],
                medianAbsoluteError: median,
                meanSignedError: errors.reduce(0, +) / Double(max(1, errors.count)),
                biasByEpochs: bias,
                intervalCoverage: predictors[index] == OptimusWorkPredictor().name && !rows.isEmpty
                    ? Double(covered.count) / Double(rows.count) : nil
            )
        }
    }

    /// Every row as one JSON object per line: the profiled points, each predictor's prediction, the full
    /// run's validation curve and the accuracies on the window's inference frames (for offline analysis).
    public var rowsJSONLines: String {
        func number(_ value: Double) -> String { String(format: "%.5f", value) }
        return rows.map { row in
            let predictions = zip(predictors, row.predictedAccuracy).map { "\"\($0)\": \(number($1))" }
            return "{\"stream\": \"\(row.stream)\", \"window\": \(row.window), \"config\": \"\(row.configuration)\", "
                + "\"epochs\": \(row.epochs), \"a0\": \(number(row.startAccuracy)), "
                + "\"observed\": [\(row.observed.map { "[\(number($0.epochs)), \(number($0.accuracy))]" }.joined(separator: ", "))], "
                + "\"curve\": [\(row.trainingCurve.map(number).joined(separator: ", "))], "
                + "\"actual\": \(number(row.actualAccuracy)), \"a0_test\": \(number(row.startTestAccuracy)), "
                + "\"actual_test\": \(number(row.actualTestAccuracy)), \"cost\": \(number(row.actualCost)), "
                + "\"predicted_cost\": \(number(row.predictedCost)), "
                + "\"predicted\": {\(predictions.joined(separator: ", "))}}"
        }.joined(separator: "\n") + "\n"
    }

    /// The rows in the canonical trace format (predictions of the first predictor).
    public var canonicalTrace: Trace {
        var profiles: [StreamWindowProfile] = []
        var keys: [(stream: String, window: Int)] = []
        for row in rows where !keys.contains(where: { $0.stream == row.stream && $0.window == row.window }) {
            keys.append((row.stream, row.window))
        }
        for key in keys {
            let selected = rows.filter { $0.stream == key.stream && $0.window == key.window }
            guard let first = selected.first else { continue }
            profiles.append(
                StreamWindowProfile(
                    stream: first.stream,
                    window: key.window,
                    startAccuracy: first.startAccuracy,
                    configurations: selected.map {
                        ConfigurationProfile(
                            name: $0.configuration,
                            actual: RetrainingOutcome(endAccuracy: $0.actualAccuracy, gpuSeconds: $0.actualCost),
                            predicted: RetrainingOutcome(
                                endAccuracy: $0.predictedAccuracy.first ?? $0.startAccuracy,
                                gpuSeconds: $0.predictedCost
                            )
                        )
                    }
                )
            )
        }
        return Trace(profiles: profiles)
    }
}
