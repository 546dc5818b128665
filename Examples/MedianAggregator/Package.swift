// swift-tools-version: 6.0
// Extending FedSim from your own package: a coordinate-wise median aggregator and a one-line
// main.swift that hands over to the whole fedsim command line (run, sweep, validate, report, …).
import PackageDescription

let package = Package(
  name: "MedianAggregator",
  dependencies: [.package(name: "FedSim", path: "../..")],
  targets: [
    .executableTarget(
      name: "MedianAggregator",
      dependencies: [
        .product(name: "FedSimTool", package: "FedSim"),
        .product(name: "Aggregation", package: "FedSim"),
      ]
    ),
    // The aggregators tested as plain values, without a simulation.
    .testTarget(
      name: "MedianAggregatorTests",
      dependencies: ["MedianAggregator", .product(name: "Aggregation", package: "FedSim")]
    ),
  ]
)
