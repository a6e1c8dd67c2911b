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
    // MARK: A fleet of edge servers: placement by load with hysteresis, leases, fleet simulation.
    .target(
        name: "EkyaFleet",
        dependencies: ["EkyaCore", "EkyaSimulation", .product(name: "HeapModule", package: "swift-collections")],
        swiftSettings: strictSettings
    ),
    .testTarget(
        name: "EkyaFleetTests",
        dependencies: ["EkyaCore", "EkyaFleet", "EkyaSimulation"],
        swiftSettings: strictSettings
    ),
    // MARK: Composition root and commands.
    .target(
        name: "EkyaApp",
        dependencies: [
            "EkyaCore",
            "EkyaSimulation",
            "EkyaFleet",
            "EkyaData",
            "EkyaDataML",
            "EkyaML",
            "EkyaRuntime",
            "EkyaService",
            "EkyaStore",
            "EkyaStorePostgres",
            "EkyaVideo",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "HummingbirdCore", package: "hummingbird"),
            .product(name: "HummingbirdTLS", package: "hummingbird"),
            .product(name: "NIOSSL", package: "swift-nio-ssl"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "UnixSignals", package: "swift-service-lifecycle"),
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
    // MARK: Fuzz targets: corpus replay, or libFuzzer entry point when built by scripts/fuzz (-DFUZZING).
    .executableTarget(
        name: "ekya-fuzz",
        dependencies: ["EkyaApp"],
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
        dependencies: [
            "EkyaApp", "EkyaCore", "EkyaData", "EkyaDataML", "EkyaRuntime", "EkyaSimulation", "EkyaTestSupport", "ekya",
            "EkyaML", "EkyaStore", "EkyaStorePostgres", "EkyaVideo", .product(name: "GRDB", package: "GRDB.swift"),
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ],
        resources: [.copy("Fixtures")],
        swiftSettings: strictSettings
    ),
]

// MARK: ML backend (libtorch behind a C header).
// Default: Debian's libtorch-dev (headers in /usr/include, libraries on the default path).
// EKYA_LIBTORCH=/path/to/torch (or LIBTORCH; a tree holding include/ and lib/, e.g. site-packages/torch of
// a CUDA PyTorch) builds the shim against that tree instead and records an rpath to its lib/; `ekya
// --device cuda` then runs the models on the GPU.
let libtorchRoot = (Context.environment["EKYA_LIBTORCH"] ?? Context.environment["LIBTORCH"])
    .flatMap { $0.isEmpty ? nil : $0 }
let torchCompileFlags: [String] =
    ["-std=c++17", "-Wno-deprecated-declarations"]
    + (libtorchRoot.map { ["-I\($0)/include", "-I\($0)/include/torch/csrc/api/include"] }
        ?? ["-I/usr/include/torch/csrc/api/include"])
let torchLinkFlags: [String] =
    libtorchRoot.map { ["-L\($0)/lib", "-Xlinker", "-rpath", "-Xlinker", "\($0)/lib", "-Xlinker", "--no-as-needed"] }
    ?? []
targets += [
    // libtorch (C++) behind a C header; Swift sees only C.
    .target(
        name: "CEkyaML",
        cxxSettings: [.unsafeFlags(torchCompileFlags)],
        linkerSettings: [
            .unsafeFlags(torchLinkFlags),
            .linkedLibrary("torch"),
            .linkedLibrary("torch_cpu"),
            .linkedLibrary("c10"),
        ]
    ),
    .target(
        name: "EkyaML",
        dependencies: ["CEkyaML", "EkyaCore"],
        swiftSettings: strictSettings
    ),
    .testTarget(
        name: "EkyaMLTests",
        dependencies: ["EkyaML", "EkyaCore"],
        exclude: ["Fixtures"],
        swiftSettings: strictSettings
    ),
]

// MARK: Drifting camera streams from real images (Fashion-MNIST), teachers, user datasets.
targets += [
    // zlib (gunzip of IDX files) and stb_image (PNG/JPEG decoding) behind a small C header.
    .target(
        name: "CEkyaCodecs",
        linkerSettings: [.linkedLibrary("z")]
    ),
    .target(
        name: "EkyaData",
        dependencies: ["CEkyaCodecs", "EkyaCore"],
        swiftSettings: strictSettings
    ),
    // Parts that need the ML backend: window-model training (drift evidence) and the model teacher.
    .target(
        name: "EkyaDataML",
        dependencies: ["EkyaData", "EkyaML", "EkyaCore"],
        swiftSettings: strictSettings
    ),
    .testTarget(
        name: "EkyaDataTests",
        dependencies: ["EkyaData", "EkyaCore", "CEkyaCodecs"],
        swiftSettings: strictSettings
    ),
    .testTarget(
        name: "EkyaDataMLTests",
        dependencies: ["EkyaDataML", "EkyaData", "EkyaML"],
        swiftSettings: strictSettings
    ),
]

// MARK: Video: FFmpeg decoding behind a small C interface, sources, motion proposals.
targets += [
    .target(
        name: "CEkyaVideo",
        linkerSettings: [
            .linkedLibrary("avformat"), .linkedLibrary("avcodec"), .linkedLibrary("swscale"),
            .linkedLibrary("avutil"),
        ]
    ),
    // OpenCV's HOG pedestrian detector (the video teacher) behind a C header.
    .target(
        name: "CEkyaVision",
        cxxSettings: [.unsafeFlags(["-I/usr/include/opencv4"])],
        linkerSettings: [
            .linkedLibrary("opencv_objdetect"), .linkedLibrary("opencv_imgproc"), .linkedLibrary("opencv_core"),
        ]
    ),
    .target(
        name: "EkyaVideo",
        dependencies: ["CEkyaVideo", "CEkyaVision", "EkyaCore", "EkyaData"],
        swiftSettings: strictSettings
    ),
    .testTarget(
        name: "EkyaVideoTests",
        dependencies: ["EkyaCore", "EkyaData", "EkyaVideo"],
        resources: [.copy("Fixtures")],
        swiftSettings: strictSettings
    ),
]

// MARK: Live runtime: executor with enforced shares, window loop, model swap, demo.
targets += [
    // MARK: Fault injection: crash or hang points armed by EKYA_FAILPOINTS, for tests of the real executable.
    .target(
        name: "EkyaFailPoints",
        swiftSettings: strictSettings
    ),
    .target(
        name: "EkyaRuntime",
        dependencies: ["EkyaCore", "EkyaData", "EkyaDataML", "EkyaFailPoints", "EkyaML"],
        swiftSettings: strictSettings
    ),
    .testTarget(
        name: "EkyaRuntimeTests",
        dependencies: ["EkyaRuntime", "EkyaCore", "EkyaData", "EkyaML"],
        swiftSettings: strictSettings
    ),
]

// MARK: Ekya as a service: durable state (SQLite via GRDB, versioned model store), HTTP API, metrics, dashboard.
targets += [
    .target(
        name: "EkyaStore",
        dependencies: ["EkyaFailPoints", .product(name: "GRDB", package: "GRDB.swift")],
        swiftSettings: strictSettings
    ),
    // The same store on PostgreSQL (postgres-nio through PostgresKit), shared by the nodes of a fleet.
    .target(
        name: "EkyaStorePostgres",
        dependencies: [
            "EkyaStore",
            .product(name: "PostgresKit", package: "postgres-kit"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "NIOPosix", package: "swift-nio"),
        ],
        swiftSettings: strictSettings
    ),
    .target(
        name: "EkyaService",
        dependencies: [
            "EkyaCore",
            "EkyaData",
            "EkyaDataML",
            "EkyaML",
            "EkyaRuntime",
            "EkyaStore",
            "EkyaFleet",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Metrics", package: "swift-metrics"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "Prometheus", package: "swift-prometheus"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        ],
        resources: [.copy("Dashboard")],
        swiftSettings: strictSettings
    ),
    .testTarget(
        name: "EkyaStoreTests",
        dependencies: [
            "EkyaFailPoints", "EkyaStore", "EkyaStorePostgres", .product(name: "GRDB", package: "GRDB.swift"),
            .product(name: "PostgresKit", package: "postgres-kit"),
        ],
        swiftSettings: strictSettings
    ),
    .testTarget(
        name: "EkyaServiceTests",
        dependencies: [
            "EkyaCore",
            "EkyaService",
            "EkyaStore",
            "EkyaFleet",
            "EkyaML",
            "EkyaRuntime",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "HummingbirdTesting", package: "hummingbird"),
            .product(name: "Metrics", package: "swift-metrics"),
            .product(name: "Prometheus", package: "swift-prometheus"),
        ],
        swiftSettings: strictSettings
    ),
]

let package = Package(
    name: "Ekya",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "ekya", targets: ["ekya"]),
        .library(name: "EkyaCore", targets: ["EkyaCore"]),
        .library(name: "EkyaSimulation", targets: ["EkyaSimulation"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-collections", from: "1.1.0"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/vapor/postgres-kit", from: "2.17.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.2"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
    ],
    targets: targets
)
