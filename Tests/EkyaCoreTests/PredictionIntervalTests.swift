import EkyaCore
import Testing

@Suite struct PredictionIntervalTests {
    @Test func predictionIntervalsWidenWithWhatProfilingDidNotSeeAndStayInZeroToOne() {
        // One epoch of the head is nearly measured; every layer over ten epochs is extrapolated
        let narrow = PredictionInterval(prediction: 0.8, group: .head, epochs: 1)
        let wide = PredictionInterval(prediction: 0.8, group: .all, epochs: 10)
        #expect(narrow.upper - narrow.lower < wide.upper - wide.lower)
        #expect(narrow.contains(0.8) && narrow.contains(0.83) && !narrow.contains(0.84))
        #expect(
            PredictionInterval.halfWidth(group: .head, epochs: 4)
                > PredictionInterval.halfWidth(group: .head, epochs: 1)
        )
        // Clamped at the ends of the accuracy range
        let high = PredictionInterval(prediction: 0.98, group: .all, epochs: 4)
        #expect(high.upper == 1 && high.lower < 0.9)
        #expect(PredictionInterval(prediction: 0.02, group: .all, epochs: 1).lower == 0)
    }
}
