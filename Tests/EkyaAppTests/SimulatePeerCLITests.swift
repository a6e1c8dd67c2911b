import Foundation
import Testing

/// `ekya simulate --model` and `--compare-peer` through the built executable.
@Suite(.timeLimit(.minutes(10))) struct SimulatePeerCLITests {
    static let summary = """
        mode,k,gpus,scheduler,mean_acc,acc_w1
        oracle,2,1,thief,0.8625254859038146,0.1
        oracle,2,4,thief,0.9060837404643461,0.1
        pred,2,1,thief,0.7978988043590244,0.1
        oracle,2,1,fair_dumb_0.5,0.5,0.1

        """

    static func peerDirectory(summary: String = Self.summary) throws -> URL {
        let directory = try CLI.temporaryDirectory()
        try summary.write(to: directory.appendingPathComponent("summary.csv"), atomically: true, encoding: .utf8)
        return directory
    }

    static func maximumDifference(_ output: String, scheduler: String) throws -> Double {
        let object = try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [String: Any]
        let maxima = try #require(object?["max_abs_difference_points"] as? [String: Any])
        return try #require(maxima[scheduler] as? Double)
    }

    @Test func underTheirModelThiefSCOGivesTheirThiefsNumbersAndUnderOursItDoesNot() throws {
        let directory = try Self.peerDirectory()
        let theirs = try CLI.run([
            "simulate", "--model", "ekya-code", "--schedulers", "thief-sco", "--compare-peer", directory.path, "--json",
        ])
        #expect(theirs.status == 0, "\(theirs.standardError)")
        #expect(try Self.maximumDifference(theirs.standardOutput, scheduler: "thief-sco") < 0.0001)
        let ours = try CLI.run(["simulate", "--schedulers", "thief-sco", "--compare-peer", directory.path, "--json"])
        #expect(ours.status == 0, "\(ours.standardError)")
        #expect(try Self.maximumDifference(ours.standardOutput, scheduler: "thief-sco") > 0.5)
        let table = try CLI.run([
            "simulate", "--model", "ekya-code", "--schedulers", "thief-sco,optimal", "--compare-peer", directory.path,
        ])
        #expect(table.status == 0)
        #expect(table.standardOutput.split(separator: "\n").count == 2 + 3 + 1)
    }

    @Test func resourceRatioReportsTheDevicesTheBestFixedBaselineNeeds() throws {
        let result = try CLI.run([
            "simulate", "--stream-counts", "2", "--gpus", "1,2", "--resource-ratio", "thief", "--json",
        ])
        #expect(result.status == 0, "\(result.standardError)")
        let object = try JSONSerialization.jsonObject(with: Data(result.standardOutput.utf8)) as? [String: Any]
        let cells = try #require(object?["cells"] as? [[String: Any]])
        #expect(cells.count == 2)
        for cell in cells {
            let reference = try #require(cell["reference_accuracy"] as? Double)
            let uniform = try #require(cell["best_uniform_accuracy"] as? Double)
            // More devices than the scheduler's are needed exactly when the baseline is below it.
            if let ratio = cell["resource_ratio"] as? Double, cell["at_most"] as? Bool == false {
                #expect((ratio > 1) == (reference > uniform), "\(cell)")
            }
        }
        let bad = try CLI.run(["simulate", "--resource-ratio", "nonsense"])
        #expect(bad.status != 0 && bad.standardError.contains("unknown scheduler 'nonsense'"))
    }

    @Test(arguments: [
        (["--model", "nope"], "provide one of 'ours' and 'ekya-code'"),
        (["--model", "ekya-code", "--delay", "2.5"], "whole-second --delay"),
        (["--profiles", "pred"], "provide one of 'oracle', 'predicted' or 'predicted-accuracy'"),
        (["--compare-peer", "/nonexistent-peer-dir"], "summary.csv does not exist"),
        (["--compare-peer", "", "--peer-scheduler", "fair_sco"], "no rows for scheduler 'fair_sco'"),
    ])
    func badModelAndPeerInputGetAClearError(arguments: [String], message: String) throws {
        var arguments = arguments
        if let index = arguments.firstIndex(of: "") { arguments[index] = try Self.peerDirectory().path }
        let result = try CLI.run(["simulate", "--gpus", "1"] + arguments)
        #expect(result.status != 0)
        #expect(result.standardError.contains(message), "\(result.standardError)")
    }

    @Test func aSummaryWithoutTheHarnessColumnsOrWithAnUnknownModeIsRefused() throws {
        for (summary, message) in [
            ("mode,k,gpus\noracle,2,1\n", "mean_acc"),
            ("mode,k,gpus,scheduler,mean_acc\nsomething,2,1,thief,0.8\n", "is not oracle, pred or predacc"),
            ("mode,k,gpus,scheduler,mean_acc\noracle,2,1,thief,80\n", "mean_acc an accuracy in 0...1"),
        ] {
            let directory = try Self.peerDirectory(summary: summary)
            let result = try CLI.run(["simulate", "--compare-peer", directory.path])
            #expect(result.status != 0)
            #expect(result.standardError.contains(message), "\(result.standardError)")
        }
    }
}
