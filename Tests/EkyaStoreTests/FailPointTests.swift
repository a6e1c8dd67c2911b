import Testing

@testable import EkyaFailPoints

@Suite struct FailPointTests {
    @Test func theEnvironmentSyntaxArmsNamedPointsAtAGivenHit() {
        let rules = FailPoints.parse("model-write=kill@3, training-step=hang,migration=kill@0,bogus=kill,migration=x")
        #expect(rules[.modelWrite] == FailPoints.Rule(action: .kill, hit: 3))
        #expect(rules[.trainingStep] == FailPoints.Rule(action: .hang, hit: 1))
        // A later entry with an unknown action leaves the earlier one; hit 0 means the first.
        #expect(rules[.migration] == FailPoints.Rule(action: .kill, hit: 1))
        #expect(rules.count == 3)
        #expect(FailPoints.parse("").isEmpty)
    }

}
