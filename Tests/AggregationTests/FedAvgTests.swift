import Foundation
import Testing

@testable import Aggregation

@Suite struct FedAvgTests {
  func contributions() -> [Contribution] {
    [
      Contribution(client: 2, values: [1, 2, 3], weight: 10),
      Contribution(client: 0, values: [0.5, -1, 4], weight: 30),
      Contribution(client: 7, values: [2, 0, -2], weight: 60),
    ]
  }

  @Test func weightedMeanMatchesAFloat64Reference() throws {
    var fedavg = try AggregatorRegistry.shared.make("fedavg") as! FedAvg
    var global: [Float] = [9, 9, 9]
    fedavg.aggregate(contributions(), global: &global, context: AggregationContext(round: 0, seed: 0))
    let reference: [Double] = [(10 * 1 + 30 * 0.5 + 60 * 2) / 100, (10 * 2 - 30 + 0) / 100, (10 * 3 + 30 * 4 - 60 * 2) / 100]
    for i in 0..<3 { #expect(abs(Double(global[i]) - reference[i]) < 1e-6) }
  }

  @Test func resultIsInvariantToArrivalOrder() throws {
    var shuffled = contributions()
    var results: Set<[Float]> = []
    for permutation in 0..<6 {
      shuffled.swapAt(permutation % 3, (permutation + 1) % 3)
      var fedavg = try AggregatorRegistry.shared.make("fedavg") as! FedAvg
      var global: [Float] = [0, 0, 0]
      fedavg.aggregate(shuffled, global: &global, context: AggregationContext(round: 0, seed: 0))
      results.insert(global)
    }
    #expect(results.count == 1)
  }

  @Test func uniformWeightsAndServerLearningRate() throws {
    var fedavg = try AggregatorRegistry.shared.make("fedavg", options: ["weighting": "uniform", "server_lr": "0.5"]) as! FedAvg
    var global: [Float] = [0, 0, 0]
    fedavg.aggregate(contributions(), global: &global, context: AggregationContext(round: 0, seed: 0))
    // Uniform mean (3.5/3, 1/3, 5/3), half a step from 0.
    #expect(abs(global[0] - 3.5 / 6) < 1e-6 && abs(global[1] - 1.0 / 6) < 1e-6 && abs(global[2] - 5.0 / 6) < 1e-6)
  }

  @Test func fedAdamFollowsReddiEtAl() throws {
    var fedadam =
      try AggregatorRegistry.shared.make(
        "fedavg", options: ["server_optimizer": "adam", "server_lr": "0.1", "beta1": "0.9", "beta2": "0.99", "tau": "0.1"]) as! FedAvg
    var global: [Float] = [0]
    // Algorithm 2 of Reddi et al. (2021) starts the second moment at τ², not 0.
    var m = 0.0, v = 0.1 * 0.1, x = 0.0
    for round in 0..<3 {
      let target = Double(round + 1)
      fedadam.aggregate(
        [Contribution(client: 0, values: [Float(target)], weight: 1)], global: &global, context: AggregationContext(round: round, seed: 0))
      let delta = target - x
      m = 0.9 * m + 0.1 * delta
      v = 0.99 * v + 0.01 * delta * delta
      x += 0.1 * m / (v.squareRoot() + 0.1)
      #expect(abs(Double(global[0]) - x) < 1e-5)
    }
  }

  @Test func badOptionsNameTheOption() {
    #expect(throws: AggregatorError(aggregator: "fedavg", option: "server_lr", value: "-1", expected: "a number in [1e-09, 100.0]")) {
      try AggregatorRegistry.shared.make("fedavg", options: ["server_lr": "-1"])
    }
    #expect(
      throws: AggregatorError(
        aggregator: "fedavg", option: "server_optimiser", value: "adam",
        expected: "a known option (one of beta1, beta2, mu, server_lr, server_optimizer, share, tau, weighting)")
    ) {
      try AggregatorRegistry.shared.make("fedavg", options: ["server_optimiser": "adam"])
    }
    #expect(throws: AggregatorError.self) { try AggregatorRegistry.shared.make("fedavgg") }
  }

  @Test func localNeverCommunicatesAndUsersCanRegisterTheirOwn() throws {
    #expect(try AggregatorRegistry.shared.make("local").communication == .none)
    struct Mirror: Aggregator {
      static let name = "mirror-test"
      init(options: AggregatorOptions) throws(AggregatorError) {}
      var communication: Communication { .server }
      mutating func aggregate(_ contributions: [Contribution], global: inout [Float], context: AggregationContext) {
        global = global.map { -$0 }
      }
    }
    let registry = AggregatorRegistry(builtIns: [FedAvg.self])
    registry.register(Mirror.self)
    #expect(registry.names == ["fedavg", "mirror-test"])
    var mirror = try registry.make("mirror-test")
    var global: [Float] = [1, -2]
    mirror.aggregate([], global: &global, context: AggregationContext(round: 0, seed: 0))
    #expect(global == [-1, 2])
  }
}

@Suite struct GossipCombineTests {
  @Test func combineIsTheWeightedSumAndPreservesAverages() throws {
    let gossip = try AggregatorRegistry.shared.make("gossip")
    #expect(gossip.communication == .neighbours)
    let mixed = gossip.combine(
      own: [1, 2], selfWeight: 0.5,
      neighbours: [
        (Contribution(client: 1, values: [3, 0], weight: 1), 0.25), (Contribution(client: 2, values: [-1, 4], weight: 1), 0.25),
      ],
      context: AggregationContext(round: 0, seed: 0))
    #expect(mixed == [1, 2])  // 0.5·1 + 0.25·3 − 0.25·1 = 1; 0.5·2 + 0 + 0.25·4 = 2
  }
}

@Suite struct StreamingFedAvgTests {
  @Test(arguments: ["none", "adam"])
  func foldingRepliesInAnyOrderMatchesTheBatchForm(optimizer: String) throws {
    var contributions: [Contribution] = []
    for client in 0..<9 {
      let values: [Float] = (0..<50).map { Float(Foundation.sin(Double(client * 50 + $0))) }
      contributions.append(Contribution(client: client, values: values, weight: Double(1 + client % 4)))
    }
    var batch = try AggregatorRegistry.shared.make("fedavg", options: ["server_optimizer": optimizer]) as! FedAvg
    var expected = [Float](repeating: 0.1, count: 50)
    batch.aggregate(contributions, global: &expected, context: AggregationContext(round: 0, seed: 0))
    for order in [Array(0..<9), Array((0..<9).reversed()), [4, 0, 8, 2, 6, 1, 7, 3, 5]] {
      var streaming = try AggregatorRegistry.shared.make("fedavg", options: ["server_optimizer": optimizer]) as! FedAvg
      var sum = WeightedSum(dimension: 50)
      for index in order {
        sum.add(contributions[index], weight: try #require(streaming.streamingWeight(of: contributions[index])))
      }
      var global = [Float](repeating: 0.1, count: 50)
      streaming.finish(sum, global: &global, context: AggregationContext(round: 0, seed: 0))
      for (a, b) in zip(global, expected) { #expect(abs(a - b) <= 1e-6 * max(1, abs(b))) }
    }
  }

  @Test func medianLikeRulesOptOutOfStreaming() throws {
    #expect(try AggregatorRegistry.shared.make("local").streamingWeight(of: Contribution(client: 0, values: [], weight: 1)) == nil)
    #expect(try AggregatorRegistry.shared.make("cdp").streamingWeight(of: Contribution(client: 0, values: [], weight: 5)) == 1)
  }
}
