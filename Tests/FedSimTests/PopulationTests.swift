import Foundation
import Testing

@testable import FedSim

/// Large registered populations: data on first use, sampled evaluation, cheap sampling
/// (issue: fast on every CPU — population scale).
@Suite struct PopulationTests {
  static func scenario(clients: Int, extra: String = "") -> String {
    """
    name: population
    seed: 7
    task: linear-regression
    clients: \(clients)
    data: {source: {kind: linear, dimension: 20, examples: 40}}
    schedule: {mode: sync, rounds: 6, clients_per_round: 10, local_steps: 3, batch_size: 8, optimizer: {name: sgd}, lr: 0.05, gradient_clip: 0}
    aggregator: {name: fedavg}
    \(extra)
    """
  }

  func run(_ text: String, eager: Bool = false, workers: Int = 1) throws -> (metrics: String, summary: [String: Double], csv: String) {
    let out = FileManager.default.temporaryDirectory.appendingPathComponent("fedsim-population-\(UUID().uuidString)")
    var runner = Runner(
      scenario: try ScenarioDecoder.decode(text, file: "p.yaml"), scenarioText: text, overrides: [], workers: workers, output: out,
      cacheDirectory: out.appendingPathComponent("cache"))
    runner.eagerData = eager
    let summary = try runner.run(log: { _ in }, progress: { _ in })
    let metrics = try String(contentsOf: out.appendingPathComponent("metrics.jsonl"), encoding: .utf8)
      .replacingOccurrences(of: #", "wall_time_s": [0-9.e+-]+"#, with: "", options: .regularExpression)
    let csv = try String(contentsOf: out.appendingPathComponent("clients.csv"), encoding: .utf8)
    return (metrics, summary, csv)
  }

  @Test func dataBuiltOnFirstUseGivesTheSameRunAsDataBuiltAtStart() throws {
    let text = Self.scenario(clients: 50, extra: "evaluation: {splits: [validation, test]}")
    let eager = try run(text, eager: true), lazy = try run(text), lazyTwoWorkers = try run(text, workers: 2)
    #expect(eager.metrics == lazy.metrics && lazy.metrics == lazyTwoWorkers.metrics)
    #expect(eager.csv == lazy.csv)
    #expect(eager.summary["final_mean_sq_distance"] == lazy.summary["final_mean_sq_distance"])
    #expect(lazy.summary["final_mean_sq_distance"] != nil)
  }

  @Test func aSampledEvaluationIsAFixedSampleStatedInTheMetrics() throws {
    let text = Self.scenario(clients: 200, extra: "evaluation: {clients: {sampled: 25}}")
    let outcome = try run(text)
    #expect(outcome.summary["evaluated_clients"] == 25)
    #expect(outcome.metrics.contains("\"evaluated_clients\": 25"))
    // The same 25 clients every round.
    let evaluated = outcome.metrics.split(separator: "\n").filter { $0.contains("client_eval") }.compactMap { line -> String? in
      guard let range = line.range(of: #""client": [0-9]+"#, options: .regularExpression) else { return nil }
      return String(line[range])
    }
    #expect(evaluated.count == 6 * 25 && Set(evaluated).count == 25)
    // Large populations default to a sample of 1,000; small ones to everyone.
    let large = try ScenarioDecoder.decode(Self.scenario(clients: 20_000), file: "p.yaml")
    #expect(large.evaluation.clients == .sampled(1000))
    #expect(try ScenarioDecoder.decode(Self.scenario(clients: 200), file: "p.yaml").evaluation.clients == .all)
    #expect(Runner.evaluatedClients(large).count == 1000 && Set(Runner.evaluatedClients(large)).count == 1000)
  }

  /// A population past the scan limit draws its cohorts by id: distinct clients, the requested
  /// number, the same on every run; start-up does not grow with the population.
  @Test func aMillionRegisteredClientsStartAtOnce() throws {
    let text = Self.scenario(clients: 1_000_000, extra: "evaluation: {every: 6, clients: {sampled: 20}}")
    let first = try run(text), second = try run(text, workers: 2)
    #expect(first.metrics == second.metrics)
    #expect(first.summary["clients_with_state"]! <= 60 && first.summary["clients_with_state"]! > 40)
    #expect(first.metrics.contains("\"reports\": 10"))
    // No x* for a population this large (it needs every client's data).
    #expect(first.summary["final_mean_sq_distance"] == nil)
    // Only clients that took part or were evaluated are listed.
    #expect(first.csv.split(separator: "\n").count <= 1 + 60 + 20)
  }

  /// A population the cache cannot hold keeps a client's split on its second request (a client
  /// sampled once would only evict others); one it holds keeps every split at once. Either way
  /// the data are those generated at start.
  @Test func aLargePopulationKeepsASplitOnItsSecondRequest() throws {
    let scenario = try ScenarioDecoder.decode(Self.scenario(clients: 1000), file: "p.yaml")
    let large = ConvexPopulation(source: scenario.data.source, data: scenario.data, clients: 1000, seed: 7, cacheBytes: 1)
    let small = ConvexPopulation(source: scenario.data.source, data: scenario.data, clients: 10, seed: 7)
    let eager = ConvexPopulation(source: scenario.data.source, data: scenario.data, clients: 10, seed: 7, eager: true)
    #expect(large.capacity < 3 * 1000)
    for client in 0..<5 { _ = large.problem(client, .train) }
    #expect(large.cachedSplits == 0)
    for client in 0..<5 { _ = large.problem(client, .train) }
    #expect(large.cachedSplits == 5)
    _ = small.problem(3, .train)
    #expect(small.cachedSplits == 1)
    for client in 0..<5 {
      for split in [ConvexSplit.train, .validation, .test] {
        let expected = eager.problem(client, split)
        #expect(large.problem(client, split).features == expected.features && small.problem(client, split).targets == expected.targets)
      }
    }
  }
}
