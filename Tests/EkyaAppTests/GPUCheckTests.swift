import EkyaTestSupport
import Foundation
import Testing

/// `scripts/gpu-check` on the CPU path: the same shim and C++ driver that run on a GPU machine, compiled
/// against this machine's libtorch and run beside Python PyTorch.
@Suite(.timeLimit(.minutes(10))) struct GPUCheckTests {
    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("scripts/gpu-check")

    @Test func theDriverBuildsAndRunsOnTheCPUAndPrintsItsJSONLine() async throws {
        // When the GPU check runs with --device cpu (a minute of compiling and timing: off the cooperative pool)
        let result = try await offPool {
            try CLI.run(
                [Self.script.path, "--device", "cpu", "--seconds", "1"],
                program: URL(fileURLWithPath: "/bin/bash")
            )
        }
        #expect(result.status == 0, "\(result.standardError.suffix(3000))")
        // Then it prints one JSON line with the keys the GPU run is judged by, with sane values
        let lines = result.standardOutput.split(separator: "\n")
        #expect(lines.count == 1)
        let object = try #require(
            try JSONSerialization.jsonObject(with: Data((lines.last ?? "").utf8)) as? [String: Any]
        )
        #expect(object["device"] as? String == "cpu")
        for key in ["train_ratio_vs_pytorch", "infer_ratio_vs_pytorch"] {
            let ratio = try #require(object[key] as? Double, "missing \(key)")
            #expect(ratio > 0.2 && ratio < 5, "\(key) = \(ratio)")
        }
        let shareError = try #require(object["share_error"] as? Double)
        #expect(shareError >= 0 && shareError < 0.05)
        let shares = try #require(object["shares_achieved"] as? [Double])
        #expect(shares.count == 3 && abs(shares.reduce(0, +) - 1) < 0.05)
    }
}
