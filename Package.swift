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
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "4.5.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-auth", from: "2.5.0"),
        .package(url: "https://github.com/vapor/jwt-kit", from: "5.8.0"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
    ],
    targets: [
        .systemLibrary(
            name: "CLZ4",
            pkgConfig: "liblz4",
            providers: [.apt(["liblz4-dev"])]
        ),
        // The processor's CRC-32C instruction, when it has one (the log's block checksums).
        .target(name: "CCRC32C"),
        // glibc's allocator told to keep freed memory for a rebuild's next range (mallopt).
        .target(name: "CAllocator"),
        // Pure: event model, validation, record codec, block framing. No file or socket I/O, no clock.
        .target(name: "ThroughlineCore", dependencies: ["CLZ4", "CCRC32C"]),
        // Segment files, group commit, recovery, readers, the id index.
        // The key store beside the log (keys.sqlite, GRDB) whose keys seal personal values (AES-GCM).
        .target(
            name: "EventLog",
            dependencies: ["ThroughlineCore", .product(name: "GRDB", package: "GRDB.swift"), .product(name: "Crypto", package: "swift-crypto")]
        ),
        // The log kept in PostgreSQL (postgres-nio): blocks as rows, gap-free seqs per partition,
        // ids exactly-once across every node that appends.
        .target(
            name: "PostgresLog",
            dependencies: ["ThroughlineCore", "EventLog", .product(name: "PostgresNIO", package: "postgres-nio"),
                           .product(name: "Logging", package: "swift-log")]
        ),
        // SQLite read models (GRDB 7): the projector that follows the log, timelines, rebuild.
        .target(
            name: "Projections",
            dependencies: ["ThroughlineCore", "EventLog", "Scoring", "CAllocator", .product(name: "GRDB", package: "GRDB.swift"),
                           .product(name: "GRDBSQLite", package: "GRDB.swift")]
        ),
        // Health rules (YAML, checked with the place of every problem) and, next, the signals and
        // scores computed from them. Pure: no I/O beyond the text it is given, no clock.
        .target(name: "Scoring", dependencies: ["ThroughlineCore", .product(name: "Yams", package: "Yams")]),
        // The HTML pages (portfolio, account, what-if report) rendered from the API's views. Pure.
        .target(name: "WebPages", dependencies: ["ThroughlineCore", "Scoring"]),
        // Who may do what: API tokens (kept as hashes) and local accounts (bcrypt) in access.sqlite.
        .target(
            name: "Access",
            dependencies: [
                "ThroughlineCore", "EventLog", .product(name: "GRDB", package: "GRDB.swift"), .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "HummingbirdBcrypt", package: "hummingbird-auth"), .product(name: "JWTKit", package: "jwt-kit"),
            ]
        ),
        // Deterministic realistic datasets (pure).
        .target(name: "DatasetGenerator", dependencies: ["ThroughlineCore"]),
        // HTTP/1.1 over the Unix socket (and optional loopback TCP): ingest, reads, health, metrics.
        .target(
            name: "ThroughlineServer",
            dependencies: [
                "ThroughlineCore", "EventLog", "Projections", "Scoring", "WebPages", "Access",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),
        // A small HTTP/1.1 client over a Unix socket or TCP, for `append` and the tests.
        .target(
            name: "ThroughlineClient",
            dependencies: [
                "ThroughlineCore",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]
        ),
        .executableTarget(
            name: "throughline",
            dependencies: [
                "ThroughlineCore", "EventLog", "PostgresLog", "DatasetGenerator", "ThroughlineServer", "ThroughlineClient", "Projections", "Scoring",
                "WebPages", "Access", .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .executableTarget(name: "log-bench", dependencies: ["EventLog"], path: "tools/LogBench"),
        .target(name: "BenchSupport", path: "tools/BenchSupport"),
        .executableTarget(name: "ingest-bench", dependencies: ["BenchSupport", "ThroughlineClient", "ThroughlineCore"], path: "tools/IngestBench"),
        .executableTarget(name: "plain-events-bench", dependencies: ["BenchSupport", "PostgresLog", "ThroughlineCore", .product(name: "PostgresNIO", package: "postgres-nio"),
                                                                   .product(name: "Logging", package: "swift-log")], path: "tools/PlainEventsBench"),
        .executableTarget(name: "stream-bench", dependencies: ["BenchSupport", "ThroughlineCore"], path: "tools/StreamBench"),
        .executableTarget(name: "score-bench", dependencies: ["EventLog", "Scoring", "ThroughlineCore"], path: "tools/ScoreBench"),
        .testTarget(name: "ThroughlineCoreTests", dependencies: ["ThroughlineCore", "DatasetGenerator"]),
        .testTarget(name: "ScoringTests", dependencies: ["Scoring", "DatasetGenerator", "TestSupport"]),
        // Helpers shared by the test targets: temporary directories, running the built binary.
        .target(name: "TestSupport", dependencies: ["DatasetGenerator", "Scoring", .product(name: "JWTKit", package: "jwt-kit")], path: "Tests/TestSupport"),
        .testTarget(name: "WebPagesTests", dependencies: ["WebPages", "ThroughlineCore", "Scoring", "TestSupport"]),
        .testTarget(name: "AccessTests", dependencies: ["Access", "ThroughlineCore", "TestSupport", .product(name: "GRDB", package: "GRDB.swift"),
                                                     .product(name: "JWTKit", package: "jwt-kit")]),
        .testTarget(name: "EventLogTests", dependencies: ["EventLog", "PostgresLog", "TestSupport", .product(name: "Crypto", package: "swift-crypto")]),
        .testTarget(name: "ProjectionTests", dependencies: ["Projections", "EventLog", "ThroughlineCore", "Scoring", "TestSupport",
                                                        .product(name: "GRDB", package: "GRDB.swift")]),
        .testTarget(name: "CLITests", dependencies: ["throughline", "EventLog", "ThroughlineCore", "TestSupport"]),
        .testTarget(
            name: "ServerTests",
            dependencies: [
                "throughline", "ThroughlineServer", "ThroughlineClient", "EventLog", "PostgresLog", "ThroughlineCore", "TestSupport", "Scoring", "Projections",
                "Access",
                .product(name: "Logging", package: "swift-log"), .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Hummingbird", package: "hummingbird"), .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)
