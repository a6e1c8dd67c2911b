import EkyaCore
import Testing

@Suite struct PredictionIntervalTests {
    @Test func predictionIntervalsWidenWithWhatProfilingDidNotSeeAndStayInZeroToOne() {
        // A head prediction at what profiling saw: 1.12 × 3 points either side
        let measured = PredictionInterval(prediction: 0.8, group: .head, bestSeen: 0.8)
        #expect(abs(measured.upper - 0.8336) < 1e-9 && abs(measured.lower - 0.7664) < 1e-9)
        #expect(measured.contains(0.83) && !measured.contains(0.84))
        // Reaching 10 points beyond it widens the interval by 1.12 × 5 points; every layer is wider still
        let extrapolated = PredictionInterval(prediction: 0.8, group: .head, bestSeen: 0.7)
        #expect(abs((extrapolated.upper - extrapolated.lower) / 2 - 1.12 * 0.08) < 1e-9)
        let all = PredictionInterval(prediction: 0.8, group: .all, bestSeen: 0.7)
        #expect(all.upper - all.lower > extrapolated.upper - extrapolated.lower)
        // A prediction below what profiling saw (a collapsing run) is as uncertain as one above it
        let below = PredictionInterval.halfWidth(prediction: 0.6, group: .head, bestSeen: 0.7)
        #expect(abs(below - PredictionInterval.halfWidth(prediction: 0.8, group: .head, bestSeen: 0.7)) < 1e-9)
        // Clamped at the ends of the accuracy range
        let high = PredictionInterval(prediction: 0.98, group: .all, bestSeen: 0.9)
        #expect(high.upper == 1 && high.lower < 0.9)
        #expect(PredictionInterval(prediction: 0.02, group: .all, bestSeen: 0.02).lower == 0)
    }
}
