import EkyaCore
import Testing

@Suite struct InferenceScalingTests {
    @Test func ekyaCheckValueAtTenPercent() {
        // Spec §1: φ(0.1) = 0.71 (s = 2.5, between 0.78 and 0.64).
        #expect(abs(InferenceScaling.ekyaDefault.factor(share: 0.1) - 0.71) < 1e-12)
    }

    @Test(arguments: [(0.25, 1.0), (1.0, 1.0), (0.125, 0.78), (0.0125, 0.04), (0.01, 0.0), (0.0, 0.0)])
    func tablePoints(share: Double, expected: Double) {
        #expect(abs(InferenceScaling.ekyaDefault.factor(share: share) - expected) < 1e-9)
    }

    @Test func factorIsMonotoneInShare() {
        var previous = 0.0
        for step in 0...1000 {
            let factor = InferenceScaling.ekyaDefault.factor(share: Double(step) / 1000)
            #expect(factor >= previous - 1e-12)
            previous = factor
        }
    }

    @Test func linearIsCappedAtOne() {
        let linear = InferenceScaling.linear()
        #expect(linear.factor(share: 0.75) == 0.75)
        #expect(linear.factor(share: 1.5) == 1)
    }

    @Test func rejectsBadTables() {
        #expect(throws: EkyaError.self) {
            try InferenceScaling.subsampling(
                points: [.init(subsampling: 2, accuracyFactor: 0.5), .init(subsampling: 1, accuracyFactor: 1)],
                fullRateShare: 0.25
            )
        }
        #expect(throws: EkyaError.self) {
            try InferenceScaling.subsampling(points: [.init(subsampling: 1, accuracyFactor: 1.5)], fullRateShare: 0.25)
        }
        #expect(throws: EkyaError.self) { try InferenceScaling.subsampling(points: [], fullRateShare: 0.25) }
    }

    @Test func capacityRejectsQuantaThatDoNotDivideADevice() {
        #expect(throws: EkyaError.invalidQuantum(0.3)) { try Capacity(devices: 1, quantum: 0.3) }
        #expect(throws: EkyaError.invalidDevices(0)) { try Capacity(devices: 0) }
        #expect(throws: Never.self) { try Capacity(devices: 2, quantum: 0.25 / 3) }
    }
}
