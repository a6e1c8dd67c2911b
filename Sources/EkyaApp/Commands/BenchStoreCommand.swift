import ArgumentParser
import EkyaStore
import EkyaStorePostgres
import Foundation

/// `ekya bench store`: the window loop's writes on the SQLite and the PostgreSQL store, measured in one run.
struct BenchStoreCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "store",
        abstract: "Store write latency: SQLite (WAL, synchronous=FULL) vs PostgreSQL, in the same run.",
        discussion: """
            Each sample is one window's durable writes as the service makes them: begin the window (one \
            transaction), then complete it with --streams per-stream results, plans, 8 profiling rows per \
            stream and one accepted model version per stream (one transaction), and one stream added through \
            the API. SQLite is a file in a temporary directory; PostgreSQL is --postgres (a fresh schema, \
            dropped afterwards). Prints medians, 90th percentiles and PostgreSQL / SQLite ratios. Then a model \
            version of --model-kb (the demo edge model's checkpoint size by default) as a swap writes it: to the \
            local model store (fsync'd, renamed into place), and, on a fleet, its copy into PostgreSQL and the \
            read a node taking the stream over makes.
            """
    )

    @Option(help: "PostgreSQL server (default: $EKYA_TEST_POSTGRES_URL, else the one scripts/postgres starts).")
    var postgres: String?

    @Option(help: "Windows written per backend.")
    var windows: Int = 60

    @Option(help: "Streams per window.")
    var streams: Int = 5

    @Option(help: "Size of the model file written per sample, in KiB.")
    var modelKb: Int = 345

    @Flag(help: "Print one JSON object.")
    var json: Bool = false

    func validate() throws {
        guard windows >= 5, (1...100).contains(streams), (1...65_536).contains(modelKb) else {
            throw ValidationError("--windows ≥ 5, --streams in 1...100 and --model-kb in 1...65536")
        }
    }

    struct Latency {
        var window: [Double] = []
        var add: [Double] = []
    }

    func run() throws {
        let url =
            postgres ?? ProcessInfo.processInfo.environment["EKYA_TEST_POSTGRES_URL"]
            ?? "postgres://ekya@127.0.0.1:55432/ekya_test"
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ekya-bench-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let sqlite = try ServiceStore(path: directory.appendingPathComponent("ekya.sqlite").path)
        let postgresStore: PostgresServiceStore
        do {
            postgresStore = try PostgresServiceStore(
                url: url,
                schema: "bench_\(UUID().uuidString.prefix(8).lowercased())"
            )
        } catch {
            throw AppError.invalidOption("--postgres: \(error) (scripts/postgres starts a local server)")
        }
        defer { try? postgresStore.dropSchema() }
        let fleet = try PostgresFleetStore(url: url, schema: postgresStore.schema)
        defer { fleet.close() }
        let models = try ModelStore(root: directory.appendingPathComponent("models"))
        var modelWrites = ModelLatency()
        // Interleaved, so drift of the machine's load falls on both alike.
        var results: [Latency] = [Latency(), Latency()]
        let stores: [any ServiceStoring] = [sqlite, postgresStore]
        let runs = try stores.map { try $0.beginRun(configuration: "{}") }
        for number in 1...windows {
            for (index, store) in stores.enumerated() {
                let (window, add) = try sample(store, run: runs[index], number: number)
                results[index].window.append(window)
                results[index].add.append(add)
            }
            try sampleModel(number: number, local: models, fleet: fleet, into: &modelWrites)
        }
        func median(_ values: [Double]) -> Double { Self.quantile(values, 0.5) }
        let sqliteWindow = median(results[0].window)
        let postgresWindow = median(results[1].window)
        let sqliteAdd = median(results[0].add)
        let postgresAdd = median(results[1].add)
        if json {
            let fields: [(String, Double)] = [
                ("sqlite_window_ms", sqliteWindow), ("sqlite_window_p90_ms", Self.quantile(results[0].window, 0.9)),
                ("postgres_window_ms", postgresWindow),
                ("postgres_window_p90_ms", Self.quantile(results[1].window, 0.9)),
                ("postgres_vs_sqlite_window", postgresWindow / sqliteWindow),
                ("sqlite_add_ms", sqliteAdd), ("postgres_add_ms", postgresAdd),
                ("postgres_vs_sqlite_add", postgresAdd / sqliteAdd),
                ("model_local_write_ms", median(modelWrites.local)), ("model_postgres_put_ms", median(modelWrites.put)),
                ("model_postgres_get_ms", median(modelWrites.get)), ("model_kb", Double(modelKb)),
            ]
            let body = fields.map { "\"\($0.0)\":\(String(format: "%.3f", $0.1))" }.joined(separator: ",")
            print("{\(body),\"windows\":\(windows),\"streams\":\(streams)}")
        } else {
            print("store writes, \(windows) windows × \(streams) streams (median, p90 in ms)")
            for (name, latency) in zip(["sqlite", "postgres"], results) {
                print(
                    "  \(name.padding(toLength: 9, withPad: " ", startingAt: 0)) window "
                        + String(
                            format: "%7.2f (p90 %7.2f)",
                            median(latency.window),
                            Self.quantile(latency.window, 0.9)
                        )
                        + String(format: "   add stream %6.2f", median(latency.add))
                )
            }
            print(
                String(
                    format: "  postgres / sqlite: window %.2f×, add %.2f×",
                    postgresWindow / sqliteWindow,
                    postgresAdd / sqliteAdd
                )
            )
            print(
                String(
                    format: "model file %d KiB: local write (fsync) %.2f ms, PostgreSQL put %.2f ms, get %.2f ms",
                    modelKb,
                    median(modelWrites.local),
                    median(modelWrites.put),
                    median(modelWrites.get)
                )
            )
        }
    }

    struct ModelLatency {
        var local: [Double] = []
        var put: [Double] = []
        var get: [Double] = []
    }

    /// One model version written locally, copied into PostgreSQL and read back, in milliseconds.
    func sampleModel(number: Int, local: ModelStore, fleet: PostgresFleetStore, into latency: inout ModelLatency) throws
    {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<(modelKb * 1024)).map { _ in UInt8.random(in: 0...255, using: &generator) }
        let clock = ContinuousClock()
        let start = clock.now
        try local.write(
            ModelMetadata(
                stream: "cam",
                version: number,
                createdAt: Date(),
                window: number,
                configuration: "c",
                validationAccuracy: nil
            )
        ) { path in try Data(bytes).write(to: URL(fileURLWithPath: path)) }
        let written = clock.now
        try fleet.putModelFile(stream: "cam", version: number, bytes: bytes)
        let put = clock.now
        guard try fleet.modelFile(stream: "cam", version: number)?.count == bytes.count else {
            throw AppError.invalidOption("the model file read back from PostgreSQL differs")
        }
        let got = clock.now
        latency.local.append(Self.milliseconds(written - start))
        latency.put.append(Self.milliseconds(put - written))
        latency.get.append(Self.milliseconds(got - put))
    }

    static func milliseconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) * 1e3 + Double(duration.components.attoseconds) * 1e-15
    }

    /// One window's writes and one API add on `store`, in milliseconds.
    func sample(_ store: any ServiceStoring, run: Int64, number: Int) throws -> (window: Double, add: Double) {
        let clock = ContinuousClock()
        let names = (0..<streams).map { "cam-\($0)" }
        let start = clock.now
        let window = try store.beginWindow(
            WindowRecord(
                runId: run,
                number: number,
                status: .running,
                scheduler: "ekya",
                streams: names.joined(separator: ","),
                startedAt: Date(),
                windowSeconds: 60
            )
        )
        let id = window.id ?? -1
        try store.complete(
            WindowCompletion(
                window: window,
                streams: names.map {
                    StreamWindowRecord(
                        windowId: id,
                        stream: $0,
                        startAccuracy: 0.5,
                        measuredAccuracy: 0.6,
                        simulatedAccuracy: 0.6,
                        timeline: "[" + Array(repeating: "0.6", count: 60).joined(separator: ",") + "]"
                    )
                },
                plans: names.map {
                    PlanRecord(windowId: id, stream: $0, inferenceShare: 0.3, trainingShare: 0.2, configuration: "c")
                },
                profiling: names.flatMap { name in
                    (0..<8).map {
                        ProfilingRecord(
                            windowId: id,
                            stream: name,
                            configuration: "c\($0)",
                            predictedAccuracy: 0.7,
                            predictedCost: 3
                        )
                    }
                },
                acceptedModels: names.map {
                    ModelVersionRecord(
                        stream: $0,
                        version: number,
                        createdAt: Date(),
                        window: number,
                        configuration: "c",
                        validationAccuracy: 0.7,
                        path: "models/\($0)/\(number)/model.pt"
                    )
                }
            )
        )
        let written = clock.now
        try store.requestAdd(id: "added-\(number)", scenario: "stable", seed: 1)
        let added = clock.now
        return (Self.milliseconds(written - start), Self.milliseconds(added - written))
    }

    static func quantile(_ values: [Double], _ q: Double) -> Double {
        let sorted = values.sorted()
        guard !sorted.isEmpty else { return .nan }
        return sorted[min(sorted.count - 1, Int((Double(sorted.count - 1) * q).rounded()))]
    }
}
