// swift-tools-version: 6.2
// Benchmarks live in their own package so `swift build`/`swift test` of the main package never
// resolve or compile the benchmark stack. Run from this directory: `swift package benchmark`.
import PackageDescription

let package = Package(
    name: "EkyaBenchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "Ekya", path: "../"),
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.0", traits: ["MallocInterposer"]),
    ],
    targets: [
        .executableTarget(
            name: "SchedulerBenchmarks",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "EkyaCore", package: "Ekya"),
                .product(name: "EkyaSimulation", package: "Ekya"),
            ],
            path: "Benchmarks/SchedulerBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        )
    ]
)
