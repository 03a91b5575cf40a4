// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "Throughline",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "throughline", targets: ["throughline"]),
        .library(name: "ThroughlineCore", targets: ["ThroughlineCore"]),
        .library(name: "EventLog", targets: ["EventLog"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    ],
    targets: [
        .systemLibrary(
            name: "CLZ4",
            pkgConfig: "liblz4",
            providers: [.apt(["liblz4-dev"])]
        ),
        // Pure: event model, validation, record codec, block framing. No file or socket I/O, no clock.
        .target(name: "ThroughlineCore", dependencies: ["CLZ4"]),
        // Segment files, group commit, recovery, readers, the id index.
        .target(name: "EventLog", dependencies: ["ThroughlineCore"]),
        // Deterministic realistic datasets (pure).
        .target(name: "DatasetGenerator", dependencies: ["ThroughlineCore"]),
        .executableTarget(
            name: "throughline",
            dependencies: [
                "ThroughlineCore", "EventLog", "DatasetGenerator",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .executableTarget(name: "log-bench", dependencies: ["EventLog"], path: "tools/LogBench"),
        .testTarget(name: "ThroughlineCoreTests", dependencies: ["ThroughlineCore"]),
        .testTarget(name: "EventLogTests", dependencies: ["EventLog"]),
        .testTarget(name: "CLITests", dependencies: ["throughline", "EventLog", "ThroughlineCore"]),
    ],
    swiftLanguageModes: [.v6]
)
