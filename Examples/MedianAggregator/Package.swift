// swift-tools-version: 6.0
// An example of extending FedSim from your own package: a coordinate-wise median aggregator,
// registered under a name that a scenario uses, run with FedSim's runner.
import PackageDescription

let package = Package(
  name: "MedianAggregator",
  dependencies: [.package(name: "FedSim", path: "../..")],
  targets: [
    .executableTarget(
      name: "MedianAggregator",
      dependencies: [
        .product(name: "FedSim", package: "FedSim"),
        .product(name: "Aggregation", package: "FedSim"),
      ],
      resources: [.copy("median.yaml")]
    )
  ]
)
