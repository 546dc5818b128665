import Testing

@testable import Graphs

/// Simulator-sized graphs: these would take seconds if anything were accidentally quadratic.
@Suite struct ScaleTests {
  @Test func generatorsParserAndConnectivityScaleLinearly() throws {
    let n = 20_000
    var random = stream(seed: 50)
    let regular = try Graph.randomRegular(n: n, k: 8, using: &random)
    #expect(regular.edgeCount == n * 4 && regular.isRegular)
    let sparse = try Graph.erdosRenyi(n: n, p: 8.0 / Double(n), using: &random)
    #expect(sparse.edgeCount > 70_000 && sparse.edgeCount < 90_000)
    let smallWorld = try Graph.wattsStrogatz(n: n, k: 10, beta: 0.1, using: &random)
    #expect(smallWorld.edgeCount == n * 5)
    let scaleFree = try Graph.barabasiAlbert(n: n, m: 3, using: &random)
    #expect(scaleFree.isConnected)
    #expect(try EdgeList.parse(EdgeList.format(scaleFree), requireConnected: true) == scaleFree)
    #expect(smallWorld.articulationPoints().isEmpty)
    let weights = MixingWeights(graph: scaleFree, rule: .metropolisHastings)
    #expect(weights.isDoublyStochastic(tolerance: 1e-12) && weights.isSymmetric())
  }

  @Test func resampledRoundsOutsideTheStreamRangeAreErrors() {
    #expect(throws: GraphError.self) {
      try Graph.resampled(round: -1, seed: 1) { (r) throws(GraphError) in try Graph.erdosRenyi(n: 4, p: 0.5, using: &r) }
    }
  }
}
