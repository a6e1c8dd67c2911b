import EkyaCore
import Testing

@testable import EkyaRuntime

/// The pure pieces of a live window: share allocation, the swap rule and the accuracy series.
@Suite struct WindowPiecesTests {
    typealias Planned = ShareAllocation.Planned

    @Test func unallocatedCapacityGoesToInferenceInEqualPartsWhenNothingUsesIdleCapacity() {
        // Given a plan that leaves 0.2 of one device unallocated and no idle use
        let allocation = ShareAllocation.allocate(
            [
                Planned(inference: 0.2, training: 0.3, retrains: true),
                Planned(inference: 0.3, training: 0, retrains: false),
            ],
            idle: [.none, .none],
            capacity: 1,
            profiling: false,
            fullRate: 0.1,
            headroom: 1.5
        )
        // Then each stream's inference gets half of it and the retraining job keeps its planned share
        #expect(abs(allocation.streams[0].inference - 0.3) < 1e-12)
        #expect(abs(allocation.streams[1].inference - 0.4) < 1e-12)
        #expect(abs(allocation.streams[0].training - 0.3) < 1e-12)
        #expect(allocation.streams[1].training == 0)
        #expect(allocation.streams.map(\.refinement) == [0, 0])
        #expect(allocation.profiling == 0)
    }

    @Test func inferenceKeepsHeadroomAndTheRestIsSplitAmongIdleUses() {
        // Given a plan giving stream 0 far more inference than its full rate needs, stream 1 a running job the
        // plan dropped, stream 2 nothing to retrain, and a background profiling run
        let allocation = ShareAllocation.allocate(
            [
                Planned(inference: 0.5, training: 0, retrains: false),
                Planned(inference: 0.1, training: 0, retrains: false),
                Planned(inference: 0.1, training: 0, retrains: false),
            ],
            idle: [.none, .continuesRetraining, .refines],
            capacity: 2,
            profiling: true,
            fullRate: 0.1,
            headroom: 1.5
        )
        // Then inference is held at 1.5 × its full-rate share, profiling takes up to one device first, and the
        // rest is split equally between the continuing job and refinement
        for shares in allocation.streams { #expect(abs(shares.inference - 0.15) < 1e-12) }
        #expect(allocation.profiling == 1)
        let idle = (2 - 0.45 - 1) / 2
        #expect(abs(allocation.streams[1].training - idle) < 1e-12)
        #expect(abs(allocation.streams[2].refinement - idle) < 1e-12)
        #expect(allocation.streams[0].training == 0 && allocation.streams[0].refinement == 0)
        // Nothing is lost or created: the shares add up to the capacity.
        let total =
            allocation.profiling + allocation.streams.map { $0.inference + $0.training + $0.refinement }.reduce(0, +)
        #expect(abs(total - 2) < 1e-12)
    }

    @Test func aStreamAtFullRateTakesItsHeadroomFromTheRetrainingJobs() {
        let allocation = ShareAllocation.allocate(
            [Planned(inference: 0.1, training: 0.9, retrains: true)],
            idle: [.none],
            capacity: 1,
            profiling: false,
            fullRate: 0.1,
            headroom: 1.5
        )
        #expect(abs(allocation.streams[0].inference - 0.15) < 1e-12)
        #expect(abs(allocation.streams[0].training - 0.85) < 1e-12)
    }

    @Test(
        arguments: [
            // (finished, served epoch, serving, decision)
            (0.80, nil, 0.70, SwapDecision.swap),
            (0.70, nil, 0.70, .refuse),
            (0.60, nil, 0.70, .refuse),
            (0.75, (time: 12.0, accuracy: 0.78), 0.78, .keepServedEpoch(since: 12)),
            (0.78, (time: 12.0, accuracy: 0.78), 0.78, .keepServedEpoch(since: 12)),
            (0.80, (time: 12.0, accuracy: 0.78), 0.78, .swap),
        ] as [(Double, (time: Double, accuracy: Double)?, Double, SwapDecision)]
    )
    func aFinishedModelServesOnlyWhenItValidatesBetter(
        finished: Double,
        servedEpoch: (time: Double, accuracy: Double)?,
        serving: Double,
        expected: SwapDecision
    ) {
        #expect(SwapDecision.decide(finished: finished, servedEpoch: servedEpoch, serving: serving) == expected)
    }

    @Test func perSecondAccuracyCountsTheFramesOfEachSecondAndRepeatsAnEmptyOne() {
        let series = WindowAccuracy.perSecond(
            arrivals: [0.1, 0.5, 0.9, 1.2, 3.0, 3.5],
            correct: [true, false, true, true, false, false],
            seconds: 5
        )
        #expect(series.count == 5)
        #expect(abs(series[0] - 2.0 / 3) < 1e-12)
        #expect(series[1] == 1)
        #expect(series[2] == 1)  // no frame: the previous second's value
        #expect(series[3] == 0)
        #expect(series[4] == 0)
        #expect(WindowAccuracy.perSecond(arrivals: [], correct: [], seconds: 2) == [0, 0])
    }

    @Test func theModelledAccuracyWeighsEachServedModelByItsTimeAndShare() throws {
        // A model at 0.6 for seconds 0–4, one at 0.9 from second 5, at full rate (φ = 1) throughout: 11 samples.
        let scaling = InferenceScaling.linear(cap: 0.1)
        let full = WindowAccuracy.modelled(
            served: [(0, 0.6), (5, 0.9)],
            shares: [(0, 0.1)],
            seconds: 10,
            scaling: scaling
        )
        #expect(abs(full - (5 * 0.6 + 6 * 0.9) / 11) < 1e-12)
        // At half the full-rate share every second counts φ(0.05).
        let half = WindowAccuracy.modelled(served: [(0, 0.6)], shares: [(0, 0.05)], seconds: 10, scaling: scaling)
        #expect(abs(half - 0.6 * scaling.factor(share: 0.05)) < 1e-12)
        #expect(WindowAccuracy.modelled(served: [], shares: [], seconds: 10, scaling: scaling) == 0)
    }
}
