import Aggregation
import Testing

@testable import FedSim

/// An aggregator is told the run before it starts and can refuse it; the error is located at the
/// option in the scenario file (validate) and stops `run` before anything is written.
@Suite struct AggregatorValidationTests {
  /// Needs at least `k` replies per aggregation.
  struct NeedsReplies: Aggregator {
    static let name = "zz-test-needs-replies"
    let k: Int
    init(options: AggregatorOptions) throws(AggregatorError) { k = try options.requiredInt("k", in: 1...1000) }
    var communication: Communication { .server }
    func validate(_ setup: AggregationSetup) throws(AggregatorError) {
      guard let n = setup.largestAggregation, n < k else { return }
      throw AggregatorError(aggregator: Self.name, option: "k", value: "\(k)", expected: "at most \(n), the replies a round holds")
    }
  }

  static let text = """
    name: needs
    task: linear-regression
    clients: 8
    data: {source: {kind: decor-quadratic, dimension: 4}}
    schedule: {mode: sync, rounds: 2, clients_per_round: 4, local_steps: 1, batch_size: 5, optimizer: {name: sgd}, lr: 0.05}
    aggregator: {name: zz-test-needs-replies, options: {k: 6}}
    """

  @Test func theScenarioIsCheckedAgainstTheAggregator() throws {
    AggregatorRegistry.shared.register(NeedsReplies.self)
    #expect {
      try ScenarioDecoder.decode(Self.text, file: "needs.yaml")
    } throws: { error in
      "\(error)".contains(
        "needs.yaml:6:56: aggregator.options.k: aggregator zz-test-needs-replies: k = 6, expected at most 4, the replies a round holds")
    }
    // Enough replies per round: valid.
    _ = try ScenarioDecoder.decode(Self.text, file: "needs.yaml", overrides: ["schedule.clients_per_round=6"])
    // The setup each schedule gives.
    let gossip = try ScenarioDecoder.decode(
      Self.text, file: "needs.yaml", overrides: ["schedule.mode=gossip", "aggregator={name: gossip}", "topology.kind=ring"])
    let ring = try TopologyBuilder.graph(gossip.topology, clients: 8, seed: gossip.seed)
    #expect(gossip.aggregationSetup(graph: ring) == AggregationSetup(clients: 8, schedule: .gossip(degrees: 2...2)))
    #expect(gossip.aggregationSetup(graph: ring).largestAggregation == 3)
  }

  /// The plain mean that records its number of replies and warns on the first round.
  struct RecordingMean: Aggregator {
    static let name = "zz-test-recording-mean"
    init(options: AggregatorOptions) throws(AggregatorError) {}
    var communication: Communication { .server }
    mutating func aggregate(_ contributions: [Contribution], global: inout [Float], context: AggregationContext) {
      context.record("replies", Double(contributions.count))
      if context.round == 0 { context.warn("first round") }
      WeightedSum(contributions, dimension: global.count) { _ in 1 }.writeMean(into: &global)
    }
  }

  @Test func aggregationsRecordNumbersAndWarnings() throws {
    AggregatorRegistry.shared.register(RecordingMean.self)
    let text = Self.text.replacingOccurrences(of: "{name: zz-test-needs-replies, options: {k: 6}}", with: "{name: zz-test-recording-mean}")
    let out = try CheckpointResumeTests.folder().appendingPathComponent("recording")
    var log: [String] = []
    _ = try CheckpointResumeTests.runner(text, [], out: out).run(log: { log.append($0) }, progress: { _ in })
    let metrics = try String(contentsOf: out.appendingPathComponent("metrics.jsonl"), encoding: .utf8)
    #expect(metrics.components(separatedBy: "\"aggregator.replies\": 4.0").count - 1 == 2)
    #expect(log.contains("aggregator zz-test-recording-mean, round 1: first round"), "\(log)")
  }
}
