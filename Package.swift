// swift-tools-version: 6.1
import PackageDescription

let package = Package(
  name: "FedSim",
  platforms: [.macOS(.v14)],
  products: [
    .executable(name: "fedsim", targets: ["FedSimCLI"]),
    .library(name: "FedSimTool", targets: ["FedSimTool"]),
    .library(name: "Learning", targets: ["Learning"]),

    .library(name: "Randomness", targets: ["Randomness"]),
    .library(name: "StateArchive", targets: ["StateArchive"]),
    .library(name: "Privacy", targets: ["Privacy"]),
    .library(name: "Graphs", targets: ["Graphs"]),
    .library(name: "Simulation", targets: ["Simulation"]),
    .library(name: "Data", targets: ["Data"]),
    .library(name: "FedSim", targets: ["FedSim"]),
    .library(name: "Aggregation", targets: ["Aggregation"]),
  ],
  // `MPI` (off by default): `fedsim` joins an MPI job when started by mpirun (scripts/build-mpi.sh).
  traits: [
    .trait(name: "MPI", description: "Distributed runs over Open MPI (needs libopenmpi-dev)."),
    .default(enabledTraits: []),
  ],
  dependencies: [
    // Command-line parsing for the `fedsim` tool.
    .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    // `Relaxed` arithmetic lets reductions vectorise (see docs/performance notes).
    .package(url: "https://github.com/apple/swift-numerics", from: "1.0.0"),
    // YAML scenario files, with line and column marks for error messages.
    .package(url: "https://github.com/jpsim/Yams", from: "6.0.0"),
    // `swift package generate-documentation` (DocC): a command plugin, no code linked into FedSim.
    .package(url: "https://github.com/swiftlang/swift-docc-plugin", from: "1.4.0"),
  ],
  targets: [
    // System libraries: OpenBLAS (cblas + LAPACK) and OpenSSL's libcrypto.
    .systemLibrary(
      name: "CBLAS",
      pkgConfig: "openblas",
      providers: [.apt(["libopenblas-dev"])]
    ),
    .systemLibrary(
      name: "COpenSSL",
      pkgConfig: "libcrypto",
      providers: [.apt(["libssl-dev"])]
    ),

    // Open MPI, only with the `MPI` trait; its shim header turns the handle macros into functions.
    .systemLibrary(
      name: "CMPI",
      pkgConfig: "ompi-c",
      providers: [.apt(["libopenmpi-dev"])]
    ),

    // C kernels: sincos from the C library (a GNU extension Swift does not import), and Philox
    // words, the ziggurat's fast path and the convex tasks' float64 kernels compiled for the
    // baseline, AVX2 and AVX-512F (the widest the CPU runs is chosen at run time).
    .target(name: "CMathShim", linkerSettings: [.linkedLibrary("m")]),

    // Binary archives of simulator state (checkpoints), bounds-checked on reading.
    .target(name: "StateArchive"),

    // Counter-based random streams shared by every module.
    .target(name: "Randomness", dependencies: ["CMathShim"]),

    // Tensor kernels, the decoder LM, LoRA, optimisers and weight I/O.
    .target(
      name: "Learning",
      dependencies: [
        "CBLAS",
        "CMathShim",
        "Randomness",
        "StateArchive",
        .product(name: "RealModule", package: "swift-numerics"),
      ]
    ),

    // Communication graphs: generators, mixing matrices, Laplacians, spectra (LAPACK).
    .target(name: "Graphs", dependencies: ["CBLAS", "Randomness"]),

    // Discrete-event simulation: clock, event queue, worker pool, devices, network, schedules.
    .target(name: "Simulation", dependencies: ["Randomness", "Graphs", "StateArchive"]),

    // Privacy: the SecLDP/RDP accountant, and key agreement / derivation over OpenSSL.
    .target(name: "Privacy", dependencies: ["COpenSSL", "CBLAS", "Graphs", "Randomness"]),

    // Corpora, synthetic Markov sources, partitioners and client splits.
    .target(name: "Data", dependencies: ["Randomness"]),

    // Aggregation rules: the extension protocol and the built-in aggregators.
    .target(name: "Aggregation", dependencies: ["Randomness", "StateArchive"]),

    // Scenario files, run plans, registries and run directories.
    .target(
      name: "FedSim",
      dependencies: [
        "Learning", "Simulation", "Graphs", "Data", "Privacy", "Randomness", "Aggregation", "StateArchive",
        .product(name: "Yams", package: "Yams"),
      ]
    ),

    // The `fedsim` command line as a library: `FedSimTool.main(aggregators:)` (packages that add
    // their own aggregators get the whole CLI from a one-line main.swift).
    .target(
      name: "FedSimTool",
      dependencies: [
        "FedSim",
        "Aggregation",
        "Learning",
        "Simulation",
        "Privacy",
        "Graphs",
        "Data",
        "CBLAS",
        "FedSimMPI",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ]
    ),

    // `MPICluster`: a FedSim cluster over MPI_COMM_WORLD (empty without the `MPI` trait).
    .target(
      name: "FedSimMPI",
      dependencies: ["Simulation", .target(name: "CMPI", condition: .when(traits: ["MPI"]))]
    ),

    .executableTarget(name: "FedSimCLI", dependencies: ["FedSimTool"]),

    .testTarget(
      name: "LearningTests",
      dependencies: ["Learning", "Randomness"],
      resources: [.copy("Fixtures")]
    ),
    .testTarget(name: "RandomnessTests", dependencies: ["Randomness"]),
    .testTarget(name: "PrivacyTests", dependencies: ["Privacy", "Graphs", "Randomness"]),
    .testTarget(name: "DataTests", dependencies: ["Data", "Randomness"]),
    .testTarget(
      name: "FedSimTests",
      dependencies: ["FedSim", "Aggregation", "Learning", "Privacy", "Graphs", "Data", "Randomness", "StateArchive"]),
    .testTarget(name: "AggregationTests", dependencies: ["Aggregation"]),
    .testTarget(name: "GraphsTests", dependencies: ["Graphs", "Randomness"]),
    .testTarget(name: "SimulationTests", dependencies: ["Simulation", "Randomness"]),

  ]
)
