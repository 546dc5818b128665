import Aggregation
import Testing

@testable import MedianAggregator

/// Aggregators are plain values: they are tested by calling them with hand-made contributions,
/// without a simulation, a scenario or a model.
@Suite struct RobustAggregatorTests {
  let context = AggregationContext(round: 1, seed: 0)

  func options(_ name: String, _ values: [String: String] = [:]) -> AggregatorOptions {
    AggregatorOptions(aggregator: name, values: values)
  }

  /// Five honest models near (1, 1) and one attacker far away: Krum (f = 1) keeps the honest
  /// model with the smallest sum of squared distances to its 3 nearest others — client 2 (1.15:
  /// 0.0025 + 0.0225 + 0.0225) — and records which client it chose.
  @Test func krumIgnoresTheOutlier() throws {
    var krum = try Krum(options: options("krum", ["f": "1"]))
    let honest = [0, 0.1, 0.15, 0.3, 0.5].enumerated().map {
      Contribution(client: $0.offset, values: [1 + Float($0.element), 1], weight: 1)
    }
    let attacker = Contribution(client: 5, values: [100, -100], weight: 1)
    var context = self.context
    let report = AggregationReport()
    context.report = report
    var global: [Float] = [0, 0]
    krum.aggregate(honest + [attacker], global: &global, context: context)
    #expect(global == [1.15, 1])
    #expect(report.numbers["selected_client"] == 2)
  }

  /// `f` has no default, and n ≥ 2f + 3 is checked against the run before it starts.
  @Test func krumNeedsFAndEnoughReplies() throws {
    #expect { try Krum(options: options("krum")) } throws: { ($0 as? AggregatorError)?.option == "f" }
    let krum = try Krum(options: options("krum", ["f": "2"]))
    #expect(throws: AggregatorError.self) {
      try krum.validate(AggregationSetup(clients: 20, schedule: .synchronousServer(clientsPerRound: 6)))
    }
    try krum.validate(AggregationSetup(clients: 20, schedule: .synchronousServer(clientsPerRound: 7)))
  }

  /// A short round (fewer than 2f + 3 replies) keeps the server's model and warns.
  @Test func krumKeepsTheModelOnAShortRound() throws {
    var krum = try Krum(options: options("krum", ["f": "2"]))
    var context = self.context
    let report = AggregationReport()
    context.report = report
    var global: [Float] = [3, 4]
    krum.aggregate([Contribution(client: 0, values: [9, 9], weight: 1)], global: &global, context: context)
    #expect(global == [3, 4] && report.warnings.count == 1)
  }

  @Test func medianAndTrimmedMean() throws {
    let replies = [[1, 10], [2, 20], [100, -5], [3, 30], [4, 40]].enumerated().map {
      Contribution(client: $0.offset, values: $0.element.map(Float.init), weight: 1)
    }
    var median = try CoordinateMedian(options: options("median"))
    var global: [Float] = [0, 0]
    median.aggregate(replies, global: &global, context: context)
    #expect(global == [3, 20])
    var trimmed = try CoordinateMedian(options: options("median", ["trim": "0.2"]))
    trimmed.aggregate(replies, global: &global, context: context)
    #expect(global == [3, 20])  // (2 + 3 + 4) / 3 and (10 + 20 + 30) / 3
  }

  /// A neighbour within τ is mixed as gossip mixes it; one farther away is pulled to distance τ.
  @Test func clippedGossipClipsFarNeighboursOnly() throws {
    let clipped = try ClippedGossip(options: options("clipped-gossip", ["tau": "1"]))
    #expect(clipped.communication == .neighbours)  // Gossip's, through the wrapper
    let own: [Float] = [0, 0]
    let near = (contribution: Contribution(client: 1, values: [0.5, 0], weight: 1), weight: 0.25)
    let far = (contribution: Contribution(client: 2, values: [0, 10], weight: 1), weight: 0.25)
    let mixed = clipped.combine(own: own, selfWeight: 0.5, neighbours: [near, far], context: context)
    #expect(mixed == [0.125, 0.25])  // 0.25 · 0.5 and 0.25 · (0 + 1 · 10/10)
    let unclipped = try ClippedGossip(options: options("clipped-gossip", ["tau": "1e12"]))
    #expect(
      unclipped.combine(own: own, selfWeight: 0.5, neighbours: [near, far], context: context)
        == weightedCombination(own: own, selfWeight: 0.5, neighbours: [near, far]))
  }
}
