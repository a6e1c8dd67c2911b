import ArgumentParser
import EkyaData
import EkyaRuntime
import Foundation

/// `ekya bench shares`: training throughput against the executor share, next to Ekya's MPS measurement.
struct BenchSharesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "shares",
        abstract: "Measure a training job's throughput vs its share on the time-slicing executor."
    )

    @Option(help: "Window seconds per share point.")
    var horizon: Double = 4

    @Option(help: "Directory with Fashion-MNIST (Debian package dataset-fashion-mnist).")
    var dataDirectory: String = FashionMNIST.defaultDirectory

    /// Ekya's measurement under NVIDIA MPS (`mps_training_scaling_zurich_bs8.csv`): mean task time per share.
    static let mps: [(share: Double, seconds: Double)] = [
        (0.1, 15.185301), (0.2, 10.732497), (0.3, 8.423063), (0.4, 7.346349), (0.5, 6.561887),
        (0.6, 6.369023), (0.7, 6.321470), (0.8, 5.612063), (0.9, 5.579987), (1.0, 5.460700),
    ]

    func run() throws {
        guard horizon > 0.5 else { throw ValidationError("--horizon must be more than 0.5 s") }
        let pool: ImagePool
        do {
            pool = try FashionMNIST.load(.test, from: dataDirectory)
        } catch {
            throw AppError.invalidOption("\(error)")
        }
        let points = try ShareScaling.measure(pool: pool, shares: Self.mps.map(\.share), horizon: horizon)
        print("share  ours(relative throughput)  linear  Ekya MPS")
        for (point, reference) in zip(points, Self.mps) {
            print(
                String(
                    format: "%5.1f  %25.3f  %6.2f  %8.2f",
                    point.share,
                    point.relativeThroughput,
                    point.share,
                    5.460700 / reference.seconds
                )
            )
        }
        let error = zip(points, points.map(\.share)).map { abs($0.relativeThroughput - $1) }.max() ?? 0
        print(String(format: "largest deviation from linear: %.3f", error))
    }
}
