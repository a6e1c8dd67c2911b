import EkyaCore
import Testing

@Suite struct LearningCurveTests {
    /// Spec §4 check vectors: (a0, y5) → f(5), f(15), f(30).
    static let checkVectors: [(Double, Double, [Double])] = [
        (0.800000, 0.800000, [0.829333, 0.882902, 0.937724]),
        (0.882353, 0.941176, [0.927094, 0.938009, 0.941629]),
        (0.571429, 0.714286, [0.724832, 0.812075, 0.851869]),
        (0.714286, 1.000000, [0.945497, 0.945497, 0.945497]),
    ]

    @Test(arguments: checkVectors.indices)
    func ekyaProcedureMatchesTheCheckVectors(index: Int) {
        let (a0, y5, expected) = Self.checkVectors[index]
        let predictor = EkyaOptimusPredictor()
        for (epochs, value) in zip([5.0, 15, 30], expected) {
            let predicted = predictor.predict(startAccuracy: a0, observed: [(5, y5)], epochs: epochs)
            #expect(abs(predicted - value) < 0.01, "a0 \(a0) y5 \(y5) e \(epochs): \(predicted) vs \(value)")
        }
    }

    @Test func largestDeviationFromTheCheckVectorsIsTiny() {
        var largest = 0.0
        for (a0, y5, expected) in Self.checkVectors {
            for (epochs, value) in zip([5.0, 15, 30], expected) {
                let predicted = EkyaOptimusPredictor().predict(startAccuracy: a0, observed: [(5, y5)], epochs: epochs)
                largest = max(largest, abs(predicted - value))
            }
        }
        // Same algorithm as the authors' solver (dogbox from (1, 1, 1)): measured 2.3e-4.
        #expect(largest < 1e-3, "largest deviation \(largest)")
    }

    @Test func recoversAKnownCurveFromNoisyPoints() throws {
        let truth = LearningCurve(b0: 0.4, b1: 2.5, b2: 0.05)
        var generator = SplitMix64(seed: 3)
        let points = stride(from: 0.0, through: 30, by: 1).map { epochs in
            (epochs, truth.accuracy(epochs: epochs) + Double.random(in: -0.003...0.003, using: &generator))
        }
        let fitted = try LearningCurve.fit(points)
        for epochs in [0.0, 5, 15, 30] {
            #expect(abs(fitted.accuracy(epochs: epochs) - truth.accuracy(epochs: epochs)) < 0.01)
        }
    }

    @Test func boundsAreRespected() throws {
        // The unconstrained optimum of (x − 3)² + (y + 2)² lies outside the box [0, 1] × [0, 1].
        let solver = LeastSquares(lowerBounds: [0, 0], upperBounds: [1, 1])
        let solution = try solver.solve(start: [0.5, 0.5]) { [$0[0] - 3, $0[1] + 2] }
        #expect(abs(solution.parameters[0] - 1) < 1e-9)
        #expect(abs(solution.parameters[1] - 0) < 1e-9)
    }

    @Test func solvesALinearSystemExactly() throws {
        let solution = try LeastSquares().solve(start: [0, 0]) { x in
            [2 * x[0] + x[1] - 5, x[0] - x[1] - 1, x[0] + 2 * x[1] - 4]
        }
        #expect(abs(solution.parameters[0] - 2) < 1e-6)
        #expect(abs(solution.parameters[1] - 1) < 1e-6)
    }

    @Test func workPredictorReadsAKnownCurveFromProfilingInWorkUnits() {
        // The truth: acc(x) = 1 − (1/(2x + 2) + 0.1) in full-data epochs x. Profiling 2 epochs on a quarter
        // of the data observes it at x = 0.25 and 0.5.
        let truth = LearningCurve(b0: 2, b1: 2, b2: 0.1)
        let observed = [0.25, 0.5].map { (epochs: $0, accuracy: truth.accuracy(epochs: $0)) }
        let predictor = OptimusWorkPredictor()
        #expect(predictor.countsWork)
        for epochs in [1.0, 4, 10] {
            let predicted = predictor.predict(
                startAccuracy: truth.accuracy(epochs: 0),
                observed: observed,
                epochs: epochs
            )
            #expect(abs(predicted - truth.accuracy(epochs: epochs)) < 0.01, "epochs \(epochs)")
        }
        // Ekya's procedure, given the same points as whole epochs, sees far less headroom.
        let ekya = EkyaOptimusPredictor().predict(
            startAccuracy: truth.accuracy(epochs: 0),
            observed: [(1, observed[0].accuracy), (2, observed[1].accuracy)],
            epochs: 10
        )
        #expect(ekya < truth.accuracy(epochs: 10) - 0.05)
    }

    @Test func workPredictorStaysBetweenTheBestObservationAndOne() {
        let predictor = OptimusWorkPredictor()
        // Falling accuracy while profiling: never predicts below the best observed point.
        let falling = predictor.predict(startAccuracy: 0.6, observed: [(0.1, 0.55), (0.2, 0.5)], epochs: 10)
        #expect(falling >= 0.55 - 1e-12)
        // A steep rise: bounded by 1.
        let steep = predictor.predict(startAccuracy: 0.1, observed: [(0.1, 0.6), (0.2, 0.95)], epochs: 30)
        #expect(steep <= 1)
        #expect(steep >= 0.95)
        #expect(predictor.predict(startAccuracy: 0.4, observed: [], epochs: 5) == 0.4)
        // Every kind's predictor answers to the kind's name.
        #expect(PredictorKind.allCases.allSatisfy { $0.predictor.name == $0.rawValue })
    }

    @Test func failuresAreErrorsNotNaN() {
        #expect(throws: LeastSquares.Failure.nonFiniteStart) {
            try LeastSquares().solve(start: [0]) { _ in [Double.nan] }
        }
        #expect(throws: LeastSquares.Failure.infeasibleStart) {
            try LeastSquares(lowerBounds: [1], upperBounds: [2]).solve(start: [0]) { [$0[0]] }
        }
        var limited = LeastSquares()
        limited.maximumEvaluations = 3
        #expect(throws: LeastSquares.Failure.self) {
            try limited.solve(start: [10, -10]) { x in [x[0] * x[0] * x[1] - 1, tenthPower(x[0]) - x[1]] }
        }
        // The predictor falls back to the start accuracy instead of returning NaN.
        let prediction = EkyaOptimusPredictor().predict(startAccuracy: 0.7, observed: [], epochs: 30)
        #expect(prediction == 0.7)
    }
}

private func tenthPower(_ x: Double) -> Double {
    var result = 1.0
    for _ in 0..<10 { result *= x }
    return result
}
