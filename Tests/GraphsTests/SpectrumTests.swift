import Foundation
import Testing

@testable import Graphs

/// Spectra against closed forms (circulant and Kronecker-sum graphs).
@Suite struct SpectrumTests {
  @Test(arguments: [3, 8, 13, 32])
  func ringLaplacian(n: Int) throws {
    let expected = (0..<n).map { 2 - 2 * cos(2 * Double.pi * Double($0) / Double(n)) }
    expectSameSpectrum(try Graph.ring(n: n).laplacianEigenvalues(), expected)
  }

  @Test(arguments: [2, 5, 9, 24])
  func completeGraphLaplacian(n: Int) throws {
    let expected = [0] + [Double](repeating: Double(n), count: n - 1)
    expectSameSpectrum(try Graph.complete(n: n).laplacianEigenvalues(), expected)
    #expect(abs(try Graph.complete(n: n).algebraicConnectivity() - Double(n)) < 1e-9)
  }

  @Test(arguments: [(3, 3), (3, 5), (4, 6), (7, 4)])
  func torusLaplacian(p: Int, q: Int) throws {
    var expected: [Double] = []
    for k in 0..<p {
      for l in 0..<q {
        expected.append(
          (2 - 2 * cos(2 * Double.pi * Double(k) / Double(p))) + (2 - 2 * cos(2 * Double.pi * Double(l) / Double(q))))
      }
    }
    expectSameSpectrum(try Graph.torus(rows: p, columns: q).laplacianEigenvalues(), expected)
  }

  @Test func pathLaplacian() throws {
    let n = 11
    let expected = (0..<n).map { 2 - 2 * cos(Double.pi * Double($0) / Double(n)) }
    expectSameSpectrum(try Graph.path(n: n).laplacianEigenvalues(), expected)
  }

  @Test func algebraicConnectivityDetectsConnectivity() throws {
    #expect(abs(try Graph.ring(n: 10).algebraicConnectivity() - (2 - 2 * cos(2 * Double.pi / 10))) < 1e-9)
    let twoTriangles = try Graph(nodeCount: 6, edges: [(0, 1), (1, 2), (2, 0), (3, 4), (4, 5), (5, 3)])
    #expect(abs(try twoTriangles.algebraicConnectivity()) < 1e-9)
    #expect(try Graph(nodeCount: 1).algebraicConnectivity() == 0)
  }

  @Test func metropolisHastingsRingSpectrumAndGap() throws {
    let n = 12
    let spectrum = try Graph.ring(n: n).mixingSpectrum(.metropolisHastings)
    let expected = (0..<n).map { (1 + 2 * cos(2 * Double.pi * Double($0) / Double(n))) / 3 }
    expectSameSpectrum(spectrum.eigenvalues, expected)
    let slem = (1 + 2 * cos(2 * Double.pi / Double(n))) / 3
    #expect(abs(spectrum.secondLargestModulus - slem) < 1e-9)
    #expect(abs(spectrum.spectralGap - (1 - slem)) < 1e-9)
    #expect(abs((spectrum.eigenvalues.last ?? 0) - 1) < 1e-12)
  }

  @Test func slemCanComeFromTheMostNegativeEigenvalue() throws {
    // W = A/2 on the 4-cycle (bipartite, no self weight; not one of the rules) has λ = −1, so
    // gossip oscillates: SLEM 1, gap 0.
    let w = try DenseMatrix(rows: 4, columns: 4, elements: [0, 0.5, 0, 0.5, 0.5, 0, 0.5, 0, 0, 0.5, 0, 0.5, 0.5, 0, 0.5, 0])
    let spectrum = try w.mixingSpectrum()
    #expect(abs(spectrum.secondLargestModulus - 1) < 1e-12)
    #expect(abs(spectrum.spectralGap) < 1e-12)
  }

  @Test func completeGraphMixesInOneStep() throws {
    let weights = MixingWeights(graph: try .complete(n: 9), rule: .metropolisHastings)
    #expect(abs(try weights.secondLargestEigenvalueModulus()) < 1e-12)
    #expect(abs(try weights.spectralGap() - 1) < 1e-12)
    #expect(try Graph(nodeCount: 1).mixingSpectrum(.maxDegree).spectralGap == 1)
  }

  @Test func connectedRandomGraphsHaveAPositiveGap() throws {
    for (name, graph) in try randomGraphs() where graph.isConnected {
      for rule in [MixingRule.metropolisHastings, .maxDegree] {
        let gap = try graph.mixingSpectrum(rule).spectralGap
        #expect(gap > 1e-6 && gap <= 1, "\(name) \(rule)")
      }
      #expect(try graph.algebraicConnectivity() > 1e-9, "\(name)")
    }
  }

  @Test func eigenvectorsSatisfyTheEigenEquation() throws {
    var random = stream(seed: 14)
    let w = try Graph.barabasiAlbert(n: 20, m: 2, using: &random).mixingMatrix(.metropolisHastings)
    let decomposition = try w.symmetricEigendecomposition()
    for k in 0..<20 {
      var normSquared = 0.0
      for i in 0..<20 {
        let wv = (0..<20).reduce(0.0) { $0 + w[i, $1] * decomposition.vectors[$1, k] }
        #expect(abs(wv - decomposition.values[k] * decomposition.vectors[i, k]) < 1e-10)
        normSquared += decomposition.vectors[i, k] * decomposition.vectors[i, k]
      }
      #expect(abs(normSquared - 1) < 1e-10)
    }
  }

  @Test func nonSymmetricInputIsATypedError() throws {
    #expect(throws: MatrixError.notSymmetric(.asymmetric(row: 0, column: 1, value: 0.25, mirrored: 0.5))) {
      try Graph.star(n: 4).mixingSpectrum(.uniform)
    }
    #expect(throws: MatrixError.notSquare(rows: 1, columns: 2)) {
      try DenseMatrix(rows: 1, columns: 2, elements: [1, 2]).symmetricEigenvalues()
    }
    let infinite = try DenseMatrix(rows: 2, columns: 2, elements: [.infinity, 0, 0, 1])
    #expect(throws: MatrixError.notSymmetric(.nonFinite(row: 0, column: 0, value: .infinity))) {
      try infinite.symmetricEigenvalues()
    }
    #expect(try DenseMatrix(rows: 0, columns: 0).symmetricEigenvalues().isEmpty)
  }
}
