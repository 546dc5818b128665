// Registers the coordinate-wise median and runs a scenario that names it:
//   swift run MedianAggregator [OUT_DIR]
import Aggregation
import FedSim
import Foundation

AggregatorRegistry.shared.register(CoordinateMedian.self)

let url = Bundle.module.url(forResource: "median", withExtension: "yaml")!
let text = try String(contentsOf: url, encoding: .utf8)
let scenario: Scenario
do { scenario = try ScenarioDecoder.decode(contentsOf: url) } catch {
  print(error)
  exit(1)
}
let out = URL(fileURLWithPath: CommandLine.arguments.dropFirst().first ?? NSTemporaryDirectory() + "median-run-\(UUID().uuidString)")
let runner = Runner(
  scenario: scenario, scenarioText: text, overrides: [], workers: 2, output: out,
  cacheDirectory: URL(fileURLWithPath: NSTemporaryDirectory() + "fedsim-cache"))
do {
  let summary = try runner.run(
    log: { print($0) }, progress: { print("round \($0.round + 1)/\($0.rounds)  train loss \($0.meanTrainLoss)") })
  print("aggregator \(scenario.aggregator.name): final mean validation loss \(summary["final_mean_val_loss"] ?? .nan) → \(out.path)")
} catch {
  print("error: \(error)")
  exit(1)
}
