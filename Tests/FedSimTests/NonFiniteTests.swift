import Aggregation
import Foundation
import Learning
import Testing

@testable import FedSim

/// A server aggregator whose output turns non-finite from round `from` on (option `from`).
struct PoisoningAggregator: Aggregator {
  static let name = "zz-test-poison"  // sorts after the built-ins in "one of …" messages
  let from: Int
  init(options: AggregatorOptions) throws(AggregatorError) { from = try options.int("from", default: 1, in: 0...1000) }
  var communication: Communication { .server }
  mutating func aggregate(_ contributions: [Contribution], global: inout [Float], context: AggregationContext) {
    global = contributions[0].values
    if context.round >= from { global[0] = .nan }
  }
}

/// Diverged and failed runs must never look good (issue: numbers you can trust).
@Suite struct NonFiniteTests {
  /// The issue's scenario: local training on Decor's quadratic, where lr = 10 sends 7 of 8 clients
  /// to ±∞/NaN within a round.
  static let quadratic = """
    name: quad
    task: linear-regression
    clients: 8
    model: {init: 1.0}
    data:
      source: {kind: decor-quadratic, dimension: 10, zeta: 1.0}
    topology: {kind: ring}
    schedule: {mode: gossip, rounds: 30, local_steps: 10, batch_size: 10, optimizer: {name: sgd}, lr: 1.0, gradient_clip: 0}
    aggregator: {name: local}
    evaluation: {every: 1, splits: [validation]}
    """

  struct Outcome {
    let summary: [String: Double]
    let metrics: String
    let clientsCSV: String
    let summaryJSON: String
  }

  func run(_ overrides: [String], workers: Int = 1) throws -> Outcome {
    let out = FileManager.default.temporaryDirectory.appendingPathComponent("fedsim-nonfinite-\(UUID().uuidString)")
    let scenario = try ScenarioDecoder.decode(Self.quadratic, file: "quad.yaml", overrides: overrides)
    let summary = try Runner(
      scenario: scenario, scenarioText: Self.quadratic, overrides: overrides, workers: workers, output: out,
      cacheDirectory: out.appendingPathComponent("cache")
    ).run(log: { _ in }, progress: { _ in })
    func read(_ file: String) throws -> String { try String(contentsOf: out.appendingPathComponent(file), encoding: .utf8) }
    return Outcome(
      summary: summary, metrics: try read("metrics.jsonl"), clientsCSV: try read("clients.csv"), summaryJSON: try read("summary.json"))
  }

  @Test func aDivergedLocalRunIsReportedAsDivergedNotAsTheBestLoss() throws {
    let outcome = try run(["schedule.lr=10"])
    // Before: 7 of 8 clients ended at NaN and the mean of the eighth (4e-16) was reported.
    #expect(outcome.summary["diverged"] == 1)
    #expect((outcome.summary["diverged_clients"] ?? 0) >= 7)
    #expect((outcome.summary["non_finite_updates"] ?? 0) > 0)
    #expect(outcome.summaryJSON.contains("\"status\": \"diverged\""))
    let loss = outcome.summary["final_mean_val_loss"] ?? .nan
    #expect(!(loss < 1), "a diverged run's mean loss must not look good: \(loss)")
    // Every rejection is recorded with its round, client and tensor.
    #expect(outcome.metrics.contains("\"kind\": \"non_finite\""))
    #expect(outcome.metrics.contains("\"site\": \"update\"") && outcome.metrics.contains("\"tensor\": \"x\""))
    // Rejected updates never propagate: no client holds NaN.
    #expect(!outcome.clientsCSV.contains("nan"))
  }

  @Test(arguments: [
    ["aggregator.name=fedavg", "schedule.mode=sync", "schedule.clients_per_round=8"],
    ["aggregator.name=gossip"],
    ["aggregator.name=trust", "aggregator.options.scheme=weights"],
  ])
  func collaborativeRunsThatBlowUpAreCaught(_ overrides: [String]) throws {
    let outcome = try run(["schedule.lr=1"] + overrides)
    #expect(outcome.summary["diverged"] == 1, "\(overrides)")
    #expect((outcome.summary["non_finite_updates"] ?? 0) > 0)
    // Every round record's losses are finite or null, never a NaN spelled out.
    #expect(!outcome.metrics.contains("nan") && !outcome.metrics.contains("inf"))
    #expect(!outcome.clientsCSV.contains("nan"))
  }

  @Test func rejectionsAreBitIdenticalWhateverTheWorkerCount() throws {
    let one = try run(["schedule.lr=1", "aggregator.name=gossip"], workers: 1)
    let two = try run(["schedule.lr=1", "aggregator.name=gossip"], workers: 2)
    func stripped(_ text: String) -> String {
      text.replacingOccurrences(of: #", "wall_time_s": [0-9.e+-]+"#, with: "", options: .regularExpression)
    }
    #expect(stripped(one.metrics) == stripped(two.metrics))
  }

  @Test func theStopPolicyNamesRoundClientAndTensor() throws {
    do {
      _ = try run(["schedule.lr=10", "faults.non_finite=stop"])
      Issue.record("the run should have stopped")
    } catch let error as RunError {
      guard case .nonFinite(let finding) = error else {
        Issue.record("unexpected error \(error)")
        return
      }
      #expect(finding.site == .update && finding.tensor == "x" && finding.client != nil)
      #expect(error.description.contains("client \(finding.client!)") && error.description.contains("tensor x"))
    }
  }

  /// A run that stops leaves what it wrote in a visible `<out>.partial` saying why, never a
  /// hidden temporary folder.
  @Test func aStoppedRunLeavesAVisiblePartialDirectory() throws {
    let parent = FileManager.default.temporaryDirectory.appendingPathComponent("fedsim-partial-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: parent, withIntermediateDirectories: true)
    let out = parent.appendingPathComponent("quad")
    let overrides = ["schedule.lr=10", "faults.non_finite=stop"]
    let scenario = try ScenarioDecoder.decode(Self.quadratic, file: "quad.yaml", overrides: overrides)
    #expect(throws: RunError.self) {
      try Runner(
        scenario: scenario, scenarioText: Self.quadratic, overrides: overrides, workers: 1, output: out,
        cacheDirectory: parent.appendingPathComponent("cache")
      ).run(log: { _ in }, progress: { _ in })
    }
    let names = try FileManager.default.contentsOfDirectory(atPath: parent.path)
    #expect(names.contains("quad.partial") && !names.contains { $0.hasPrefix(".") } && !names.contains("quad"), "\(names)")
    let note = try String(contentsOf: parent.appendingPathComponent("quad.partial/partial.json"), encoding: .utf8)
    #expect(note.contains("\"status\": \"failed\"") && note.contains("non-finite"))
    #expect(FileManager.default.fileExists(atPath: parent.appendingPathComponent("quad.partial/metrics.jsonl").path))
  }

  @Test func aNonFiniteAggregateIsNotApplied() throws {
    AggregatorRegistry.shared.register(PoisoningAggregator.self)
    let outcome = try run([
      "aggregator.name=zz-test-poison", "aggregator.options.from=2", "schedule.mode=sync", "schedule.clients_per_round=8",
      "schedule.lr=0.01",
    ])
    #expect(outcome.summary["non_finite_aggregates"] == 28)
    #expect(outcome.metrics.contains("\"site\": \"aggregate\""))
    #expect(outcome.metrics.contains("\"client\": null"))
    // The server kept its last finite model, so every evaluation stays finite.
    #expect(outcome.summary["final_mean_val_loss"]?.isFinite == true)
  }

  @Test func aRoundWithoutReportsFailsAndARunWithoutAnyAggregationExitsWithAnError() throws {
    do {
      _ = try run(["aggregator.name=fedavg", "schedule.mode=sync", "devices.dropout=1", "schedule.rounds=4"])
      Issue.record("a run in which every round failed must not succeed")
    } catch let error as RunError {
      guard case .failed(let reason, let directory) = error else {
        Issue.record("unexpected error \(error)")
        return
      }
      #expect(reason.contains("all 4 rounds failed"))
      let summary = try String(contentsOf: URL(fileURLWithPath: directory).appendingPathComponent("summary.json"), encoding: .utf8)
      #expect(summary.contains("\"status\": \"failed\"") && summary.contains("\"failed_rounds\": 4.0"))
    }
    // Some failed rounds in a run that otherwise aggregates are counted, not fatal.
    let partial = try run(["aggregator.name=fedavg", "schedule.mode=sync", "devices.dropout=0.5", "schedule.clients_per_round=2"])
    #expect((partial.summary["failed_rounds"] ?? 0) > 0 && (partial.summary["failed_rounds"] ?? 0) < 30)
    #expect(partial.metrics.contains("\"failed\": true"))
  }

  @Test func meansOverClientsKeepNonFiniteValuesAndNameTheirPerplexities() {
    let evaluations = [
      ClientEvaluation(loss: 1, count: 5, accuracy: 0.5, perplexity: nil),
      ClientEvaluation(loss: 3, count: 5, accuracy: 0.25, perplexity: nil),
    ]
    let means = SplitMeans(evaluations, languageModel: true)
    #expect(means.loss == 2)
    #expect(abs(means.perplexity! - (exp(1) + exp(3)) / 2) < 1e-12)
    #expect(abs(means.expMeanLoss! - exp(2)) < 1e-12)
    let diverged = SplitMeans(evaluations + [ClientEvaluation(loss: .nan, count: 5)], languageModel: true)
    #expect(diverged.loss!.isNaN && diverged.perplexity!.isNaN && diverged.nonFinite == 1)
  }

  @Test func aSweepNeverShowsADivergedCellAsANumber() throws {
    let sweep = try Sweep(
      scenarioText: Self.quadratic, file: "quad.yaml", baseDirectory: nil, grid: ["schedule.lr=0.1,10"], seeds: 2, overrides: [])
    let clean: [String: Double] = ["final_mean_val_loss": 0.5, "diverged": 0, "wall_time_s": 1]
    let diverged: [String: Double] = ["final_mean_val_loss": 1e-16, "diverged": 1, "wall_time_s": 1]
    let (markdown, csv) = sweep.tables([[clean, clean], [clean, diverged]], metrics: ["final_mean_val_loss", "wall_time_s"])
    let lines = markdown.split(separator: "\n")
    #expect(lines[2].contains("0.5000 ± 0.0000") && lines[2].contains("0/2"))
    #expect(lines[3].contains("diverged (1/2)") && lines[3].contains("1/2") && !lines[3].contains("e-16"))
    // Time is a cost, still shown; the CSV marks the quality metric nan and counts the seed.
    #expect(lines[3].contains("1.0000 ± 0.0000"))
    #expect(csv.split(separator: "\n")[2].hasPrefix("10,nan,nan,1.0,0.0,1,0,2"))
    let (failedTable, _) = sweep.tables([[clean, clean], [["failed": 1], ["failed": 1]]], metrics: ["final_mean_val_loss"])
    #expect(failedTable.split(separator: "\n")[3].contains("failed"))
  }
}
