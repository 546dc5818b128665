// swift-tools-version: 6.0
// libFuzzer harnesses for FedSim's readers of user files; built and run by scripts/fuzz.sh, not by
// the main package or CI (which replay the corpus in Corpus/ through the same entry points).
import PackageDescription

let harnesses = ["FuzzScenario", "FuzzSafetensors", "FuzzModelConfig", "FuzzEdgeList", "FuzzTraces"]

let package = Package(
  name: "FedSimFuzz",
  platforms: [.macOS(.v14)],
  dependencies: [.package(name: "FedSim", path: "..")],
  targets: [.target(name: "FuzzDriver")]
    + harnesses.map { name in
      .executableTarget(name: name, dependencies: ["FuzzDriver", .product(name: "FedSim", package: "FedSim")], path: "Sources/\(name)")
    }
)
