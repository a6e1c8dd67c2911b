import ArgumentParser
import EkyaML

/// The `ekya` command: continuous learning of video-analytics models on an edge server.
public struct EkyaCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "ekya",
        abstract: "Ekya: keep edge video-analytics models accurate under data drift by scheduling retraining "
            + "and inference together.",
        subcommands: [
            DemoCommand.self, RunCommand.self, SimulateCommand.self, ProfileCommand.self, CurveCommand.self,
            DataCommand.self,
            BenchCommand.self,
            ServeCommand.self, ConfigSchemaCommand.self,
        ]
    )

    public init() {}

    /// Entry point: sets libtorch's thread environment (re-executing if needed), then runs the command.
    public static func run() async {
        ensureThreadEnvironment()
        await main()
    }
}

/// `ekya bench …`: benchmarks that print ratios against a baseline measured in the same run.
struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Benchmarks (medians and ratios measured in the same run).",
        subcommands: [
            BenchSchedulerCommand.self, BenchTrainingCommand.self, BenchSharesCommand.self, BenchVideoCommand.self,
            BenchFleetCommand.self, BenchStoreCommand.self, BenchFailoverCommand.self,
        ]
    )
}
