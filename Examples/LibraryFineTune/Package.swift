// swift-tools-version: 6.0
// An example of using FedSim as a library: fine-tune a LoRA adapter with the `Learning` module.
import PackageDescription

let package = Package(
  name: "LibraryFineTune",
  dependencies: [.package(name: "FedSim", path: "../..")],
  targets: [
    .executableTarget(
      name: "LibraryFineTune",
      dependencies: [.product(name: "Learning", package: "FedSim")]
    )
  ]
)
