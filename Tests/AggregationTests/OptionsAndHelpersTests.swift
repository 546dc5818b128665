import Testing

@testable import Aggregation

/// What an outside aggregator builds on: required options with located messages, and the default
/// neighbour mix as a public helper.
@Suite struct OptionsAndHelpersTests {
  @Test func requiredOptionsNameWhatIsMissing() throws {
    let options = AggregatorOptions(aggregator: "krum", values: ["f": "2"])
    #expect(try options.requiredInt("f", in: 0...100) == 2)
    #expect(
      throws: AggregatorError(
        aggregator: "krum", option: "m", value: "(missing)", expected: "an integer in 1...50 (this option has no default)")
    ) { try options.requiredInt("m", in: 1...50) }
    #expect(throws: AggregatorError.self) { try options.requiredDouble("beta", in: 0...1) }
    #expect(
      throws: AggregatorError(
        aggregator: "krum", option: "rule", value: "(missing)", expected: "one of krum, multi-krum (this option has no default)")
    ) { try options.requiredChoice("rule", among: ["krum", "multi-krum"]) }
    // Asked-for options are known: nothing left over.
    try options.rejectUnknown()
    let out = AggregatorOptions(aggregator: "krum", values: ["f": "200"])
    #expect(throws: AggregatorError(aggregator: "krum", option: "f", value: "200", expected: "an integer in 0...100")) {
      try out.requiredInt("f", in: 0...100)
    }
  }

  @Test func theDefaultMixIsThePublicHelper() throws {
    let gossip = try Gossip(options: AggregatorOptions(aggregator: "gossip"))
    let own: [Float] = [1, 2, 3]
    let neighbours = [
      (contribution: Contribution(client: 1, values: [0.1, 0.2, 0.3], weight: 1), weight: 0.25),
      (contribution: Contribution(client: 2, values: [5, -1, 0.7], weight: 1), weight: 0.25),
    ]
    let context = AggregationContext(round: 0, seed: 1, receiver: 0, tensors: [])
    let helper = weightedCombination(own: own, selfWeight: 0.5, neighbours: neighbours)
    #expect(gossip.combine(own: own, selfWeight: 0.5, neighbours: neighbours, context: context) == helper)
    // x_i·W_ii + Σ_j W_ij x_j, in Float64 in neighbour order.
    let expected = (0..<3).map { i in
      Float(
        Double(own[i]) * 0.5 + 0.25 * Double(neighbours[0].contribution.values[i]) + 0.25 * Double(neighbours[1].contribution.values[i]))
    }
    #expect(helper == expected)
  }
}
