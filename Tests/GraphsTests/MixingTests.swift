import Testing

@testable import Graphs

@Suite struct MixingTests {
  /// (I + A)/(d + 1), entries computed directly.
  func identityPlusAdjacency(_ graph: Graph, over denominator: Int) -> DenseMatrix {
    var matrix = DenseMatrix(rows: graph.nodeCount, columns: graph.nodeCount)
    for i in 0..<graph.nodeCount {
      matrix[i, i] = 1 / Double(denominator)
      for j in graph.neighbours(of: i) { matrix[i, j] = 1 / Double(denominator) }
    }
    return matrix
  }

  @Test func metropolisHastingsOnARingIsIPlusAOver3() throws {
    let ring = try Graph.ring(n: 10)
    #expect(ring.mixingMatrix(.metropolisHastings) == identityPlusAdjacency(ring, over: 3))
  }

  @Test func metropolisHastingsOnA4RegularTorusIsIPlusAOver5() throws {
    let torus = try Graph.torus(rows: 4, columns: 5)
    #expect(torus.mixingMatrix(.metropolisHastings) == identityPlusAdjacency(torus, over: 5))
  }

  @Test(arguments: [2, 3, 5, 7, 10])
  func metropolisHastingsOnCompleteGraphIsJOverN(n: Int) throws {
    let w = try Graph.complete(n: n).mixingMatrix(.metropolisHastings)
    #expect(w.elements.allSatisfy { $0 == 1 / Double(n) })
  }

  @Test func maxDegreeRuleIsIMinusLOverMaxDegreePlusOne() throws {
    var random = stream(seed: 6)
    let graph = try Graph.barabasiAlbert(n: 25, m: 2, using: &random)
    let w = graph.mixingMatrix(.maxDegree)
    let laplacian = graph.laplacianMatrix()
    let scale = Double(graph.maxDegree + 1)
    for i in 0..<25 {
      for j in 0..<25 {
        let expected = (i == j ? 1 : 0) - laplacian[i, j] / scale
        #expect(abs(w[i, j] - expected) <= 1e-15)
      }
    }
  }

  @Test func symmetricRulesAreDoublyStochasticOnRandomGraphs() throws {
    for (name, graph) in try randomGraphs() {
      for rule in [MixingRule.metropolisHastings, .maxDegree] {
        let weights = MixingWeights(graph: graph, rule: rule)
        let dense = weights.dense
        #expect(dense.symmetryViolation() == nil, "\(name) \(rule)")
        #expect(dense.stochasticityViolation(doubly: true) == nil, "\(name) \(rule)")
        #expect(weights.symmetryViolation() == nil, "\(name) \(rule)")
        #expect(weights.stochasticityViolation(doubly: true) == nil, "\(name) \(rule)")
        #expect(dense.elements.allSatisfy { $0 >= 0 }, "\(name) \(rule)")
      }
    }
  }

  @Test func uniformRuleIsRowStochasticButOnlySymmetricWhenRegular() throws {
    for (name, graph) in try randomGraphs() {
      let w = graph.mixingMatrix(.uniform)
      #expect(w.isRowStochastic(), "\(name)")
      #expect(w.isSymmetric() == graph.isRegular, "\(name)")
    }
    let star = try Graph.star(n: 4)
    #expect(star.mixingMatrix(.uniform).symmetryViolation() == .asymmetric(row: 0, column: 1, value: 0.25, mirrored: 0.5))
    #expect(MixingWeights(graph: star, rule: .uniform).symmetryViolation() == .asymmetric(row: 0, column: 1, value: 0.25, mirrored: 0.5))
    #expect(star.mixingMatrix(.uniform).stochasticityViolation(doubly: true) == .columnSum(column: 0, sum: 0.25 + 3 * 0.5))
    #expect(try Graph.ring(n: 6).mixingMatrix(.uniform) == Graph.ring(n: 6).mixingMatrix(.metropolisHastings))
  }

  @Test func sparseRowsMatchTheDenseMatrix() throws {
    for (name, graph) in try randomGraphs() {
      for rule in MixingRule.allCases {
        let weights = MixingWeights(graph: graph, rule: rule)
        let dense = weights.dense
        #expect(weights.entries.count == graph.nodeCount + 2 * graph.edgeCount, "\(name) \(rule)")
        for i in 0..<graph.nodeCount {
          let row = weights.row(i)
          #expect(row.map(\.node) == (graph.neighbours(of: i) + [i]).sorted(), "\(name) \(rule)")
          for j in 0..<graph.nodeCount { #expect(weights.weight(i, j) == dense[i, j]) }
        }
        let x = (0..<graph.nodeCount).map { Double($0 * $0 % 7) - 2.5 }
        let product = weights.multiply(x)
        for i in 0..<graph.nodeCount {
          let reference = (0..<graph.nodeCount).reduce(0.0) { $0 + dense[i, $1] * x[$1] }
          #expect(abs(product[i] - reference) <= 1e-12, "\(name) \(rule)")
        }
      }
    }
  }

  @Test func gossipWithMetropolisHastingsReachesTheAverage() throws {
    var random = stream(seed: 12)
    let graph = try Graph.wattsStrogatz(n: 20, k: 4, beta: 0.3, requireConnected: true, using: &random)
    let weights = MixingWeights(graph: graph, rule: .metropolisHastings)
    var x = (0..<20).map { Double($0) }
    for _ in 0..<300 { x = weights.multiply(x) }
    #expect(x.allSatisfy { abs($0 - 9.5) < 1e-6 })
  }

  @Test func violationsAreReportedInOrder() throws {
    let notSquare = try DenseMatrix(rows: 2, columns: 3, elements: [1, 0, 0, 0, 1, 0])
    #expect(notSquare.symmetryViolation() == .notSquare(rows: 2, columns: 3))
    let negative = try DenseMatrix(rows: 2, columns: 2, elements: [1.5, -0.5, -0.5, 1.5])
    #expect(negative.isSymmetric())
    #expect(negative.stochasticityViolation(doubly: true) == .negativeEntry(row: 0, column: 1, value: -0.5))
    let rowStochastic = try DenseMatrix(rows: 2, columns: 2, elements: [0.5, 0.5, 0.75, 0.25])
    #expect(rowStochastic.isRowStochastic())
    #expect(rowStochastic.stochasticityViolation(doubly: true) == .columnSum(column: 0, sum: 1.25))
    #expect(!rowStochastic.isDoublyStochastic())
    let badRow = try DenseMatrix(rows: 2, columns: 2, elements: [0.5, 0.25, 0.5, 0.5])
    #expect(badRow.stochasticityViolation(doubly: false) == .rowSum(row: 0, sum: 0.75))
    let nan = try DenseMatrix(rows: 2, columns: 2, elements: [1, .nan, 0, 1])
    #expect(nan.symmetryViolation().map { if case .nonFinite(0, 1, _) = $0 { true } else { false } } == true)
    #expect(throws: MatrixError.shapeMismatch(rows: 2, columns: 2, elementCount: 3)) {
      try DenseMatrix(rows: 2, columns: 2, elements: [1, 2, 3])
    }
    #expect(
      MatrixViolation.asymmetric(row: 0, column: 1, value: 0.25, mirrored: 0.5).description
        == "entry (0, 1) = 0.25 but (1, 0) = 0.5")
  }

  @Test func graphMatricesAreConsistent() throws {
    let graph = try Graph.grid(rows: 3, columns: 3)
    let a = graph.adjacencyMatrix(), d = graph.degreeMatrix(), l = graph.laplacianMatrix()
    #expect(zip(l.elements, zip(d.elements, a.elements)).allSatisfy { $0 == $1.0 - $1.1 })
    #expect(l.rowSums.allSatisfy { $0 == 0 })
    #expect(a.isSymmetric() && a.elements.reduce(0, +) == Double(2 * graph.edgeCount))
  }
}
