// swift-tools-version:6.0
//
// riskattest — privacy-preserving risk attestation for crypto-derivative portfolios.
//
// The module graph reads like the architecture (see SPEC.md and ../shared/DESIGN.md):
//
//   RiskEngine      deterministic pricing, metrics and margin (no crypto, no libm)
//   Ristretto255    GF(2^255-19), scalars mod ℓ, ristretto255, fixed-base tables, MSM
//   Merlin          Keccak-f[1600], STROBE-128 and Merlin transcripts
//   SystemCrypto    OpenSSL hashes, libsodium randomness, Ed25519 signatures and PEM keys
//   Bulletproofs    Pedersen/Bulletproofs generators and aggregated range proofs
//   Circuits        the circuit language and its compiler to linear constraints
//   Attestation     the attestation format, book commitment (Merkle) and disclosure records
//   Prover          builds attestations from a private book (depends on everything above)
//   Verifier        checks attestations against public data only (never imports Prover)
//   VerificationService  `riskattest serve`: intake, batch verification, members, challenges, audit
//                   chain, status and metrics for a clearing house (Hummingbird 2; SQLite or
//                   PostgreSQL behind one store protocol)
//   riskattest      the command-line tool
import PackageDescription

let package = Package(
    name: "riskattest",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "riskattest", targets: ["riskattest"]),
        .library(name: "RiskEngine", targets: ["RiskEngine"]),
        .library(name: "Ristretto255", targets: ["Ristretto255"]),
        .library(name: "Merlin", targets: ["Merlin"]),
        .library(name: "SystemCrypto", targets: ["SystemCrypto"]),
        .library(name: "Bulletproofs", targets: ["Bulletproofs"]),
        .library(name: "Circuits", targets: ["Circuits"]),
        .library(name: "Attestation", targets: ["Attestation"]),
        .library(name: "Prover", targets: ["Prover"]),
        .library(name: "Verifier", targets: ["Verifier"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        // The verification service (issue 13). Only versions the package mirror lists.
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/vapor/sqlite-nio", from: "1.13.2"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
    ],
    targets: [
        .systemLibrary(name: "CSodium", path: "Sources/CSodium",
                       pkgConfig: "libsodium", providers: [.apt(["libsodium-dev"])]),
        .systemLibrary(name: "CLibCrypto", path: "Sources/CLibCrypto",
                       pkgConfig: "libcrypto", providers: [.apt(["libssl-dev"])]),

        .target(name: "RiskEngine"),
        // snprintf("%.*f") without Swift's variadic-argument boxing, for the metrics text tables.
        .target(name: "CFixedFormat", path: "Sources/CFixedFormat"),
        .target(name: "Ristretto255"),
        .target(name: "Merlin"),
        .target(name: "SystemCrypto", dependencies: ["CSodium", "CLibCrypto"]),
        .target(name: "Bulletproofs", dependencies: ["Ristretto255", "Merlin", "SystemCrypto"]),
        .target(name: "Circuits", dependencies: ["RiskEngine", "SystemCrypto"]),
        .target(name: "Attestation", dependencies: ["Ristretto255", "Merlin", "SystemCrypto",
                                                    "Bulletproofs", "Circuits", "RiskEngine"]),
        .target(name: "Prover", dependencies: ["Attestation", "Bulletproofs", "Circuits", "RiskEngine",
                                               "Ristretto255", "Merlin", "SystemCrypto"]),
        .target(name: "Verifier", dependencies: ["Attestation", "Bulletproofs", "Circuits", "RiskEngine",
                                                 "Ristretto255", "Merlin", "SystemCrypto"]),
        .target(name: "VerificationService", dependencies: [
            "Attestation", "Verifier", "SystemCrypto", "RiskEngine", "Circuits",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "SQLiteNIO", package: "sqlite-nio"),
            .product(name: "PostgresNIO", package: "postgres-nio"),
            .product(name: "Metrics", package: "swift-metrics"),
            .product(name: "Prometheus", package: "swift-prometheus"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        .executableTarget(name: "riskattest", dependencies: [
            "RiskEngine", "Ristretto255", "Merlin", "SystemCrypto", "Bulletproofs",
            "Circuits", "Attestation", "Prover", "Verifier", "VerificationService", "CSodium", "CFixedFormat",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),

        .testTarget(name: "RiskEngineTests", dependencies: ["RiskEngine"]),
        .testTarget(name: "Ristretto255Tests", dependencies: ["Ristretto255", "CSodium", "SystemCrypto"]),
        .testTarget(name: "MerlinTests", dependencies: ["Merlin", "SystemCrypto"]),
        .testTarget(name: "SystemCryptoTests", dependencies: ["SystemCrypto"]),
        .testTarget(name: "BulletproofsTests", dependencies: ["Bulletproofs", "Ristretto255", "Merlin"]),
        .testTarget(name: "CircuitsTests", dependencies: ["Circuits", "RiskEngine", "SystemCrypto"]),
        .testTarget(name: "VerificationServiceTests", dependencies: [
            "VerificationService", "Attestation", "Prover", "Verifier", "Circuits", "RiskEngine", "SystemCrypto",
            .product(name: "HummingbirdTesting", package: "hummingbird"),
        ]),
        .testTarget(name: "AttestationTests", dependencies: ["Attestation", "Prover", "Verifier",
                                                             "Circuits", "RiskEngine", "SystemCrypto"]),
    ],
    swiftLanguageModes: [.v6]
)
