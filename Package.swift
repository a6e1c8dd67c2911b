// swift-tools-version: 6.2
import PackageDescription

let strictSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

var targets: [Target] = [
    // MARK: Domain core: pure Swift, no I/O, no clocks, no Foundation.
    .target(
        name: "EkyaCore",
        swiftSettings: strictSettings
    ),
    // MARK: Trace-driven simulator on virtual time.
    .target(
        name: "EkyaSimulation",
        dependencies: ["EkyaCore"],
        swiftSettings: strictSettings
    ),
    // MARK: Composition root and commands.
    .target(
        name: "EkyaApp",
        dependencies: [
            "EkyaCore",
            "EkyaSimulation",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ],
        resources: [.copy("Resources")],
        swiftSettings: strictSettings
    ),
    .executableTarget(
        name: "ekya",
        dependencies: [
            "EkyaApp",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ],
        swiftSettings: strictSettings
    ),
    // MARK: Test support and tests.
    .target(
        name: "EkyaTestSupport",
        dependencies: ["EkyaCore", "EkyaSimulation"],
        path: "Tests/EkyaTestSupport",
        swiftSettings: strictSettings
    ),
    .testTarget(
        name: "EkyaCoreTests",
        dependencies: ["EkyaCore", "EkyaTestSupport"],
        swiftSettings: strictSettings
    ),
    .testTarget(
        name: "EkyaSimulationTests",
        dependencies: ["EkyaCore", "EkyaSimulation", "EkyaTestSupport"],
        swiftSettings: strictSettings
    ),
    .testTarget(
        name: "EkyaAppTests",
        dependencies: ["EkyaApp", "EkyaCore", "EkyaSimulation", "EkyaTestSupport", "ekya"],
        swiftSettings: strictSettings
    ),
]

// MARK: ML backend (libtorch behind a C header) — targets are appended below.
// (ML-BACKEND-TARGETS)

// MARK: Drifting camera streams from real images (Fashion-MNIST), teachers, user datasets.
// (DATA-TARGETS)
targets += [
    // zlib (gunzip of IDX files) and stb_image (PNG/JPEG decoding) behind a small C header.
    .target(
        name: "CEkyaCodecs",
        linkerSettings: [.linkedLibrary("z")]
    ),
    .target(
        name: "EkyaData",
        dependencies: ["CEkyaCodecs"],
        swiftSettings: strictSettings
    ),
    .testTarget(
        name: "EkyaDataTests",
        dependencies: ["EkyaData", "CEkyaCodecs"],
        swiftSettings: strictSettings
    ),
]

let package = Package(
    name: "Ekya",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "ekya", targets: ["ekya"]),
        .library(name: "EkyaCore", targets: ["EkyaCore"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: targets
)
