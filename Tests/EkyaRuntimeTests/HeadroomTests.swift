import Testing

@testable import EkyaRuntime

@Suite struct HeadroomTests {
    @Test(arguments: [
        // (inference shares, training in all, expected inference shares, expected training scale)
        // Two streams at exactly full rate get 1.25 × it from training; one the plan starved, one above stay.
        ([0.05, 0.05, 0.02, 0.1], 0.78, [0.0625, 0.0625, 0.02, 0.1], (0.78 - 0.025) / 0.78),
        // Training gives at most half of its shares, spread in proportion to what each stream lacks.
        ([0.05, 0.06], 0.01, [0.05 + 0.0125 * 0.005 / 0.015, 0.06 + 0.0025 * 0.005 / 0.015], 0.5),
        // Nothing to take, or nothing short of headroom: the plan's shares.
        ([0.05, 0.05], 0, [0.05, 0.05], 1),
        ([0.0625, 0.2], 0.5, [0.0625, 0.2], 1),
    ])
    func aStreamAtFullRateKeepsHeadroomTakenFromTraining(
        inference: [Double],
        training: Double,
        expected: [Double],
        scale: Double
    ) {
        let result = ShareAllocation.guaranteeingHeadroom(
            inference: inference,
            training: training,
            fullRate: 0.05,
            headroom: 1.25
        )
        #expect(result.inference.count == expected.count)
        for (got, want) in zip(result.inference, expected) { #expect(abs(got - want) < 1e-12, "\(got) vs \(want)") }
        #expect(abs(result.trainingScale - scale) < 1e-12)
        // What inference gained is what training gave up: the total stays the same.
        let before = inference.reduce(0, +) + training
        let after = result.inference.reduce(0, +) + training * result.trainingScale
        #expect(abs(before - after) < 1e-12)
    }

    @Test func aHeadroomOfOneKeepsThePlansShares() {
        let result = ShareAllocation.guaranteeingHeadroom(
            inference: [0.05, 0.05],
            training: 0.9,
            fullRate: 0.05,
            headroom: 1
        )
        #expect(result.inference == [0.05, 0.05] && result.trainingScale == 1)
    }
}
