import EkyaCore
import EkyaSimulation
import Foundation
import Testing

@testable import EkyaApp

/// `--model ekya-code` against the authors' own simulator: a committed fixture of the decisions their
/// `thief_sco_scheduler` made (numbers from `shared/tools/ekya_peer/run_peer.py`, not their code).
@Suite(.timeLimit(.minutes(10))) struct PeerFidelityTests {
    struct Decision {
        var mode: ProfileSource
        var streams: Int
        var gpus: Int
        var window: Int
        var stream: Int
        var city: String
        var configuration: String
        var inferenceShare: Double
        var trainingShare: Double
        var finished: Bool
        var accuracy: Double
    }

    static func decisions() throws -> [Decision] {
        let url = try #require(Bundle.module.url(forResource: "Fixtures/peer-thief-decisions", withExtension: "csv"))
        let lines = try String(contentsOf: url, encoding: .utf8).split(whereSeparator: \.isNewline).dropFirst()
        return try lines.map { line in
            let f = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            // The harness names a configuration "<hp>_<epochs>"; ours is "hp<hp>-<epochs>".
            let configuration = "hp" + f[6].replacingOccurrences(of: "_", with: "-")
            return Decision(
                mode: try #require(PeerSummary.mode(f[0])),
                streams: try #require(Int(f[1])),
                gpus: try #require(Int(f[2])),
                window: try #require(Int(f[3])),
                stream: try #require(Int(f[4])),
                city: f[5],
                configuration: configuration,
                inferenceShare: try #require(Double(f[7])),
                trainingShare: try #require(Double(f[8])),
                finished: f[9] == "True",
                accuracy: try #require(Double(f[10]))
            )
        }
    }

    static func trace() throws -> Trace {
        try TraceFormat.parse(
            try FileIO.resource("cityscapes_microprofile_dev", extension: "csv"),
            file: "cityscapes_microprofile_dev.csv"
        )
    }

    static func simulator(mode: ProfileSource, gpus: Int) throws -> EkyaCodeSimulator {
        EkyaCodeSimulator(
            settings: SimulationSettings(
                timing: try WindowTiming(length: 200, labellingDelay: 2),
                quantum: 0.25 / 3,
                profiles: mode,
                model: .ekyaCode
            ),
            devices: gpus
        )
    }

    static func profiles(_ trace: Trace, streams: Int, window: Int) -> [StreamWindowProfile] {
        SimulateCommand.peerCities.prefix(streams).compactMap { trace.profile(stream: $0, window: window) }
    }

    @Test func thiefSCOReplaysTheAuthorsDecisionsStreamByStream() throws {
        let trace = try Self.trace()
        let decisions = try Self.decisions()
        #expect(decisions.count == 66)
        var cells: [String: [Decision]] = [:]
        for decision in decisions {
            cells["\(decision.mode)|\(decision.streams)|\(decision.gpus)|\(decision.window)", default: []].append(
                decision
            )
        }
        for (_, expected) in cells.sorted(by: { $0.key < $1.key }) {
            let first = expected[0]
            let outcome = try Self.simulator(mode: first.mode, gpus: first.gpus).simulate(
                window: first.window,
                profiles: Self.profiles(trace, streams: first.streams, window: first.window),
                scheduler: ThiefSCOScheduler()
            )
            for decision in expected {
                let ours = outcome.decisions[decision.stream]
                let cell = "\(decision.mode) \(decision.streams)×\(decision.gpus) w\(decision.window) \(decision.city)"
                #expect(ours.configuration == decision.configuration, "\(cell)")
                #expect(abs(ours.inferenceShare - decision.inferenceShare) < 1e-9, "\(cell)")
                #expect(abs(ours.trainingShare - decision.trainingShare) < 1e-9, "\(cell)")
                #expect(ours.finished == decision.finished, "\(cell)")
                #expect(abs(ours.accuracy - decision.accuracy) < 1e-9, "\(cell)")
            }
        }
    }

    @Test(arguments: [(2, 8), (4, 1), (6, 2)])
    func optimalIsNeverBelowTheirThiefWithOracleProfiles(streams: Int, gpus: Int) throws {
        let trace = try Self.trace()
        let simulator = try Self.simulator(mode: .oracle, gpus: gpus)
        for window in 1...3 {
            let profiles = Self.profiles(trace, streams: streams, window: window)
            let thief = try simulator.simulate(window: window, profiles: profiles, scheduler: ThiefSCOScheduler())
            let optimal = try simulator.simulate(window: window, profiles: profiles, scheduler: OptimalScheduler())
            #expect(optimal.meanAccuracy >= thief.meanAccuracy, "\(streams)×\(gpus) window \(window)")
            // With oracle profiles the planner's numbers are the outcome's.
            #expect(optimal.plannedAccuracy == optimal.meanAccuracy)
        }
    }
}
