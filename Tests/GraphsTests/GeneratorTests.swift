import Randomness
import Testing

@testable import Graphs

@Suite struct GeneratorTests {
  /// (name, graph, expected node count, expected edge count).
  static func deterministicCases() throws -> [(String, Graph, Int, Int)] {
    [
      ("complete(1)", try .complete(n: 1), 1, 0),
      ("complete(7)", try .complete(n: 7), 7, 21),
      ("complete(20)", try .complete(n: 20), 20, 190),
      ("star(1)", try .star(n: 1), 1, 0),
      ("star(9)", try .star(n: 9), 9, 8),
      ("path(1)", try .path(n: 1), 1, 0),
      ("path(6)", try .path(n: 6), 6, 5),
      ("ring(1)", try .ring(n: 1), 1, 0),
      ("ring(2)", try .ring(n: 2), 2, 1),
      ("ring(3)", try .ring(n: 3), 3, 3),
      ("ring(10)", try .ring(n: 10), 10, 10),
      ("grid(1×1)", try .grid(rows: 1, columns: 1), 1, 0),
      ("grid(3×4)", try .grid(rows: 3, columns: 4), 12, 3 * 3 + 4 * 2),
      ("grid(1×5)", try .grid(rows: 1, columns: 5), 5, 4),
      ("torus(3×4)", try .torus(rows: 3, columns: 4), 12, 24),
      ("torus(5×5)", try .torus(rows: 5, columns: 5), 25, 50),
      ("torus(4×7)", try .torus(rows: 4, columns: 7), 28, 56),
      ("torus(2×2)", try .torus(rows: 2, columns: 2), 4, 4),
      ("torus(2×3)", try .torus(rows: 2, columns: 3), 6, 3 + 6),
      ("torus(1×5)", try .torus(rows: 1, columns: 5), 5, 5),
      ("torus(1×2)", try .torus(rows: 1, columns: 2), 2, 1),
      ("torus(1×1)", try .torus(rows: 1, columns: 1), 1, 0),
    ]
  }

  @Test func deterministicFamiliesHaveExactEdgeCounts() throws {
    for (name, graph, nodes, edges) in try Self.deterministicCases() {
      #expect(graph.nodeCount == nodes, "\(name)")
      #expect(graph.edgeCount == edges, "\(name)")
      #expect(graph.degrees.reduce(0, +) == 2 * graph.edgeCount, "\(name)")
    }
  }

  @Test func everyGeneratorSatisfiesTheHandshakeLemma() throws {
    var random = stream(seed: 3)
    var graphs = try Self.deterministicCases().map { ($0.0, $0.1) } + randomGraphs()
    graphs.append(("random-regular(10, 7)", try .randomRegular(n: 10, k: 7, using: &random)))
    for round in 0..<5 {
      graphs.append(("one-peer(16, \(round))", try .onePeerExponential(n: 16, round: round)))
      graphs.append(("one-peer(12, \(round))", try .onePeerExponential(n: 12, round: round)))
    }
    for (name, graph) in graphs {
      #expect(graph.degrees.reduce(0, +) == 2 * graph.edgeCount, "\(name)")
      #expect(graph.edges.count == graph.edgeCount, "\(name)")
    }
  }

  @Test func shapesOfTheDeterministicFamilies() throws {
    let star = try Graph.star(n: 6)
    #expect(star.degree(of: 0) == 5 && (1..<6).allSatisfy { star.degree(of: $0) == 1 })
    let ring = try Graph.ring(n: 8)
    #expect(ring.isRegular && ring.maxDegree == 2 && ring.hasEdge(7, 0))
    let torus = try Graph.torus(rows: 3, columns: 4)
    #expect(torus.isRegular && torus.maxDegree == 4)
    // Node r·q + c is joined to ((r+1) mod p, c) and (r, (c+1) mod q).
    #expect(torus.hasEdge(2 * 4 + 1, 0 * 4 + 1) && torus.hasEdge(1 * 4 + 3, 1 * 4 + 0))
    #expect(try Graph.torus(rows: 1, columns: 9) == Graph.ring(n: 9))
    #expect(try Graph.torus(rows: 2, columns: 2).edges == [Edge(0, 1), Edge(0, 2), Edge(1, 3), Edge(2, 3)])  // a 4-cycle
    let grid = try Graph.grid(rows: 3, columns: 4)
    #expect(grid.degree(of: 0) == 2 && grid.degree(of: 5) == 4 && grid.hasEdge(5, 9) && !grid.hasEdge(3, 4))
  }

  @Test func rejectsParametersOutsideTheirDomain() {
    #expect(throws: GraphError.invalidParameter(generator: "ring", parameter: "n", value: "0", expected: "at least 1")) {
      try Graph.ring(n: 0)
    }
    var random = stream()
    #expect(throws: GraphError.invalidParameter(generator: "random-regular", parameter: "k", value: "3", expected: "n·k even (n = 5)")) {
      try Graph.randomRegular(n: 5, k: 3, using: &random)
    }
    #expect(throws: GraphError.self) { try Graph.randomRegular(n: 5, k: 5, using: &random) }
    #expect(throws: GraphError.self) { try Graph.erdosRenyi(n: 5, p: 1.5, using: &random) }
    #expect(throws: GraphError.self) { try Graph.erdosRenyi(n: 5, p: .nan, using: &random) }
    #expect(throws: GraphError.self) { try Graph.wattsStrogatz(n: 10, k: 3, beta: 0.1, using: &random) }
    #expect(throws: GraphError.self) { try Graph.wattsStrogatz(n: 10, k: 10, beta: 0.1, using: &random) }
    #expect(throws: GraphError.self) { try Graph.wattsStrogatz(n: 10, k: 2, beta: -0.1, using: &random) }
    #expect(throws: GraphError.self) { try Graph.barabasiAlbert(n: 3, m: 3, using: &random) }
    #expect(throws: GraphError.self) { try Graph.barabasiAlbert(n: 3, m: 0, using: &random) }
    #expect(throws: GraphError.self) { try Graph.onePeerExponential(n: 8, round: -1) }
  }

  // MARK: Random families

  @Test(arguments: [(10, 3), (20, 4), (16, 9), (11, 10), (12, 0), (7, 6), (50, 5)])
  func randomRegularGraphsAreRegular(n: Int, k: Int) throws {
    var random = stream(seed: UInt64(n * 100 + k))
    let graph = try Graph.randomRegular(n: n, k: k, using: &random)
    #expect(graph.degrees.allSatisfy { $0 == k })
    #expect(graph.edgeCount == n * k / 2)
  }

  @Test func randomRegularCanBeRequiredConnected() throws {
    for seed in 0..<5 as Range<UInt64> {
      var random = stream(seed: seed)
      let graph = try Graph.randomRegular(n: 30, k: 2, requireConnected: true, maxAttempts: 1000, using: &random)
      #expect(graph.isConnected && graph.isRegular && graph.maxDegree == 2)  // one Hamiltonian cycle
    }
  }

  @Test func erdosRenyiExtremesAndDensity() throws {
    var random = stream(seed: 5)
    #expect(try Graph.erdosRenyi(n: 12, p: 0, using: &random).edgeCount == 0)
    #expect(try Graph.erdosRenyi(n: 12, p: 1, using: &random) == Graph.complete(n: 12))
    // 19 900 pairs at p = 0.05: mean 995, standard deviation ≈ 30.7.
    var total = 0
    for seed in 0..<10 as Range<UInt64> {
      var r = stream(seed: seed)
      total += try Graph.erdosRenyi(n: 200, p: 0.05, using: &r).edgeCount
    }
    #expect(abs(Double(total) / 10 - 995) < 3 * 30.7)
  }

  @Test func erdosRenyiResamplesUntilConnectedOrGivesUp() throws {
    var random = stream(seed: 9)
    let graph = try Graph.erdosRenyi(n: 30, p: 0.15, requireConnected: true, using: &random)
    #expect(graph.isConnected)
    #expect(throws: GraphError.attemptsExhausted(generator: "erdos-renyi", attempts: 5, requirement: "connected")) {
      try Graph.erdosRenyi(n: 30, p: 0.01, requireConnected: true, maxAttempts: 5, using: &random)
    }
  }

  @Test func wattsStrogatzKeepsTheEdgeCount() throws {
    var random = stream(seed: 2)
    #expect(try Graph.wattsStrogatz(n: 20, k: 2, beta: 0, using: &random) == Graph.ring(n: 20))
    for beta in [0.0, 0.1, 0.5, 1.0] {
      let graph = try Graph.wattsStrogatz(n: 30, k: 6, beta: beta, using: &random)
      #expect(graph.edgeCount == 30 * 3)
    }
    // k = n − 1: the ring lattice is complete and nothing can be rewired.
    #expect(try Graph.wattsStrogatz(n: 7, k: 6, beta: 1, using: &random) == Graph.complete(n: 7))
  }

  @Test func barabasiAlbertGrowsByMEdgesPerNode() throws {
    var random = stream(seed: 4)
    for (n, m) in [(50, 1), (50, 2), (40, 4), (5, 4)] {
      let graph = try Graph.barabasiAlbert(n: n, m: m, using: &random)
      #expect(graph.edgeCount == m * (m + 1) / 2 + (n - m - 1) * m)
      #expect(graph.isConnected && graph.minDegree >= m)
    }
    // Preferential attachment makes hubs: the maximum degree is far above the mean (4).
    var r = stream(seed: 8)
    #expect(try Graph.barabasiAlbert(n: 400, m: 2, using: &r).maxDegree > 20)
  }

  @Test func randomGeneratorsAreDeterministicPerStream() throws {
    typealias Generate = (inout RandomStream) throws(GraphError) -> Graph
    let generators: [(String, Generate)] = [
      ("erdos-renyi", { (r) throws(GraphError) in try Graph.erdosRenyi(n: 30, p: 0.2, using: &r) }),
      ("random-regular", { (r) throws(GraphError) in try Graph.randomRegular(n: 30, k: 4, using: &r) }),
      ("watts-strogatz", { (r) throws(GraphError) in try Graph.wattsStrogatz(n: 30, k: 4, beta: 0.3, using: &r) }),
      ("barabasi-albert", { (r) throws(GraphError) in try Graph.barabasiAlbert(n: 30, m: 2, using: &r) }),
    ]
    for (name, generate) in generators {
      var a = stream(seed: 21), b = stream(seed: 21), c = stream(seed: 22), d = stream(seed: 21, round: 1)
      let first = try generate(&a)
      #expect(try generate(&b) == first, "\(name): same stream coordinates")
      #expect(try generate(&c) != first, "\(name): different seed")
      #expect(try generate(&d) != first, "\(name): different round")
    }
  }

  // MARK: Time-varying

  @Test func onePeerExponentialCyclesThroughPowersOfTwo() throws {
    #expect(Graph.onePeerExponentialPeriod(n: 8) == 3)
    #expect(Graph.onePeerExponentialPeriod(n: 12) == 4)
    #expect(Graph.onePeerExponentialPeriod(n: 1) == 0)
    for round in 0..<3 {
      let graph = try Graph.onePeerExponential(n: 8, round: round)
      let hop = 1 << round
      for i in 0..<8 { #expect(graph.hasEdge(i, (i + hop) % 8)) }
      // Hop 4 = n/2 is a perfect matching; the others are unions of cycles.
      #expect(graph.edgeCount == (hop == 4 ? 4 : 8))
      #expect(graph.degrees.allSatisfy { $0 == (hop == 4 ? 1 : 2) })
    }
    #expect(try Graph.onePeerExponential(n: 8, round: 3) == Graph.onePeerExponential(n: 8, round: 0))
    #expect(try Graph.onePeerExponential(n: 8, round: 0) == Graph.ring(n: 8))
    // Not a power of two: hops 1, 2, 4, 8 (all below n), each node of degree 2.
    let twelve = try Graph.onePeerExponential(n: 12, round: 3)
    #expect(twelve.edgeCount == 12 && twelve.hasEdge(0, 8) && twelve.hasEdge(4, 0))
    #expect(try Graph.onePeerExponential(n: 1, round: 5).edgeCount == 0)
    #expect(try Graph.onePeerExponential(n: 2, round: 1) == Graph.path(n: 2))
  }

  @Test func resampledTopologyIsAFunctionOfTheRound() throws {
    let topology = ResampledTopology(seed: 42) { (random) throws(GraphError) in
      try Graph.randomRegular(n: 16, k: 3, using: &random)
    }
    let g3 = try topology.graph(round: 3)
    #expect(try topology.graph(round: 3) == g3)
    #expect(try topology.graph(round: 4) != g3)
    var direct = RandomStream(seed: 42, purpose: .graph, round: 3)
    #expect(try Graph.randomRegular(n: 16, k: 3, using: &direct) == g3)
    let other = try Graph.resampled(round: 3, seed: 43) { (random) throws(GraphError) in
      try Graph.randomRegular(n: 16, k: 3, using: &random)
    }
    #expect(other != g3)
  }
}
