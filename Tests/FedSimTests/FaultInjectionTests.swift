import Foundation
import Simulation
import Testing

@testable import FedSim

/// Faults injected together, end to end (issue: reliability): clients crashing mid-round,
/// messages lost, stragglers past the deadline and a fraction of clients leaving for good. The run
/// completes and its metrics account for every selected client.
@Suite struct FaultInjectionTests {
  static let text = """
    name: faults
    seed: 5
    task: linear-regression
    clients: 40
    data: {source: {kind: linear, dimension: 8, examples: 30}}
    devices:
      speed: {log_normal: {median: 1.0e+6, sigma: 1.0}}
      dropout: 0.15
      departure: {fraction: 0.3, within: 10}
    network: {uplink: {latency: 0.05, bandwidth: 1.0e+5, loss: 0.1}}
    schedule: {mode: sync, rounds: 30, clients_per_round: 8, over_selection: 0.25, deadline: 0.9, local_steps: 5, batch_size: 8, optimizer: {name: sgd}, lr: 0.02}
    aggregator: {name: fedavg}
    output: {trace: true}
    """

  @Test func theRunCompletesAndItsMetricsAccountForEveryClient() throws {
    let out = FileManager.default.temporaryDirectory.appendingPathComponent("fedsim-faults-\(UUID().uuidString)")
    let scenario = try ScenarioDecoder.decode(Self.text, file: "faults.yaml")
    let summary = try Runner(
      scenario: scenario, scenarioText: Self.text, overrides: [], workers: 2, output: out, cacheDirectory: out.appendingPathComponent("c")
    ).run(log: { _ in }, progress: { _ in })
    let lines = try String(contentsOf: out.appendingPathComponent("metrics.jsonl"), encoding: .utf8).split(separator: "\n")
    let rounds = lines.filter { $0.contains("\"kind\": \"round\"") }.compactMap {
      try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
    }
    #expect(rounds.count == 30)
    func total(_ key: String) -> Int { rounds.reduce(0) { $0 + ($1[key] as? Int ?? 0) } }
    #expect(total("dropouts") > 0 && total("lost_messages") > 0 && total("discarded_reports") > 0 && total("reports") > 0)
    for round in rounds {
      let selected = round["selected"] as? Int ?? 0, reports = round["reports"] as? Int ?? 0
      #expect(reports <= selected)
    }
    #expect((summary["departed_clients"] ?? 0) > 0)
    #expect(FileManager.default.fileExists(atPath: out.appendingPathComponent("summary.json").path))
    // A client that left is never dispatched again.
    let trace = try String(contentsOf: out.appendingPathComponent("trace.jsonl"), encoding: .utf8).split(separator: "\n")
    for line in trace where line.contains("\"kind\":\"dispatch\"") {
      guard let event = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
        let client = event["client"] as? Int, let time = event["time"] as? Double
      else { continue }
      if let gone = scenario.devices.departureTime(client: client, seed: scenario.seed) { #expect(time < gone, "client \(client)") }
    }
  }

  @Test func departuresAreValidated() {
    #expect(throws: ScenarioError.self) {
      try ScenarioDecoder.decode(Self.text.replacingOccurrences(of: "fraction: 0.3", with: "fraction: 1.5"), file: "f.yaml")
    }
  }
}
