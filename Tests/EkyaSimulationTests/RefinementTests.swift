import EkyaCore
import EkyaSimulation
import Testing

/// Capacity a plan leaves idle retrains a finished stream with further configurations; a refinement's
/// model serves only when it ends more accurate.
@Suite struct RefinementTests {
    /// One stream whose best-predicted configuration (`a`) is not the best in reality (`b`).
    static func profile(bActual: Double) -> [StreamWindowProfile] {
        func option(_ name: String, predicted: Double, actual: Double) -> ConfigurationProfile {
            ConfigurationProfile(
                name: name,
                actual: RetrainingOutcome(endAccuracy: actual, gpuSeconds: 10),
                predicted: RetrainingOutcome(endAccuracy: predicted, gpuSeconds: 10)
            )
        }
        return [
            StreamWindowProfile(
                stream: "s",
                window: 1,
                startAccuracy: 0.5,
                configurations: [
                    option("a", predicted: 0.9, actual: 0.7),
                    option("b", predicted: 0.8, actual: bActual),
                    option("c", predicted: 0.75, actual: 0.6),
                ]
            )
        ]
    }

    static func simulate(_ scheduler: String, bActual: Double) throws -> WindowResult {
        let settings = SimulationSettings(
            timing: try WindowTiming(length: 100, labellingDelay: 0),
            profiles: .predicted
        )
        return try WindowSimulator(settings: settings, devices: 2)
            .simulate(window: 1, profiles: profile(bActual: bActual), scheduler: try SchedulerSpec.make(scheduler))
    }

    @Test func idleCapacityTriesTheNextConfigurationsAndKeepsTheBestModel() throws {
        // Given two devices for one stream and a plan that trains the configuration predicted best
        let plain = try Self.simulate("optimal+progress+check=10+fill+pool=0.35", bActual: 0.85)
        let refined = try Self.simulate("ekya", bActual: 0.85)
        // Then the plain plan trains one configuration; with refinement the idle device trains the others
        #expect(plain.completions.map(\.option) == [0])
        #expect(refined.completions.map(\.option) == [0, 1, 2])
        // And b's better model serves for the rest of the window, c's worse one never does
        #expect(refined.meanAccuracy > plain.meanAccuracy + 0.05, "\(refined.meanAccuracy) vs \(plain.meanAccuracy)")
    }

    @Test func aRefinementThatEndsWorseNeverServes() throws {
        // Given configurations after the first that all end below it
        let plain = try Self.simulate("optimal+progress+check=10+fill+pool=0.35", bActual: 0.65)
        let refined = try Self.simulate("ekya", bActual: 0.65)
        // Then refinement trains them and the window's accuracy is the plain plan's, to the last digit
        #expect(refined.completions.count == 3)
        #expect(refined.meanAccuracy == plain.meanAccuracy)
    }

    @Test func ekyaWithMoreFeaturesExtendsTheRecommendedCombination() throws {
        let scheduler = try SchedulerSpec.make("ekya+robust=0.9")
        #expect(scheduler.name == "ekya+robust=0.9")
        #expect(scheduler.replanInterval == 10)
        #expect(scheduler.refinesWithIdleCapacity)
        #expect(try SchedulerSpec.make("thief").refinesWithIdleCapacity == false)
    }
}
