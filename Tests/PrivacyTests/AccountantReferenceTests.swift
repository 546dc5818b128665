import Foundation
import Graphs
import Randomness
import Testing

@testable import Privacy

/// Reference values and closed forms of Decor's accountant (Allouah et al., "The Privacy Power of
/// Correlated Noise in Decentralized Learning", ICML 2024; docs/privacy.md).
@Suite struct AccountantReferenceTests {
  struct Reference: Sendable, CustomStringConvertible {
    let name: String
    let graph: @Sendable () throws -> Graph
    let sigmaCor: Double
    let rho: Double
    let epsilon: Double
    var description: String { name }
  }

  static let references: [Reference] = [
    Reference(name: "ring16", graph: { try Graph.ring(n: 16) }, sigmaCor: 10, rho: 0.15044836275732934, epsilon: 233.68539265993783),
    Reference(
      name: "complete16", graph: { try Graph.complete(n: 16) }, sigmaCor: 10, rho: 0.12617114303559493, epsilon: 202.39709571836306),
    Reference(
      name: "torus 4×4", graph: { try Graph.torus(rows: 4, columns: 4) }, sigmaCor: 10, rho: 0.13034588806532457, epsilon: 207.8226586217032
    ),
    Reference(name: "ring16 LDP", graph: { try Graph.ring(n: 16) }, sigmaCor: 0, rho: 2.0, epsilon: 2303.4854258770292),
    Reference(
      name: "complete16 → CDP", graph: { try Graph.complete(n: 16) }, sigmaCor: 10_000, rho: 0.12500000000000006, epsilon: 200.8713564692574
    ),
  ]

  @Test(arguments: references)
  func referenceTable(reference: Reference) throws {
    let accountant = SecLDPAccountant(graph: try reference.graph())
    let guarantee = try accountant.guarantee(
      noise: DecorNoise(sigmaCDP: 1, sigmaCor: reference.sigmaCor, clip: 1), curious: .none, steps: 1000, delta: 1e-5)
    expectClose(guarantee.rho, reference.rho, "ρ")
    expectClose(guarantee.epsilon, reference.epsilon, "ε")
    // α* minimises α T ρ + ln(1/δ)/(α − 1), and the minimum is ε.
    let alpha = guarantee.optimalOrder
    expectClose(guarantee.rdp(order: alpha) + log(1e5) / (alpha - 1), reference.epsilon, "ε at α*")
    #expect(guarantee.step.honestCount == 16)
    // Vertex-transitive graphs: every user is an arg-max.
    #expect(guarantee.step.argmax == Array(0..<16))
  }

  @Test func inverseReferenceValues() throws {
    expectClose(try SecLDP.targetRho(epsilon: 10, delta: 1e-5, steps: 3500), 0.00044295863673583433)
    expectClose(try SecLDP.targetRho(epsilon: 1, delta: 1e-5, steps: 1000), 2.08199383395355e-05)
  }

  // MARK: Closed forms

  @Test(arguments: [(1.0, 1.0, 1.0), (0.5, 3.0, 2.0), (2.0, 0.1, 0.7), (1.0, 100.0, 1.0)])
  func twoNodes(s: Double, c: Double, clip: Double) throws {
    let graph = try Graph(nodeCount: 2, edges: [(0, 1)])
    let expected = 2 * clip * clip * (s * s + c * c) / (s * s * (s * s + 2 * c * c))
    expectClose(try rho(graph, sigmaCDP: s, sigmaCor: c, clip: clip), expected)
  }

  @Test func twoNodesUnitNoiseIsFourThirds() throws {
    expectClose(try rho(Graph(nodeCount: 2, edges: [(0, 1)]), sigmaCDP: 1, sigmaCor: 1), 4.0 / 3)
  }

  @Test(arguments: [2, 3, 7, 16, 40], [(1.0, 10.0), (0.3, 1.0), (2.0, 0.5)])
  func completeGraph(n: Int, noise: (Double, Double)) throws {
    let (s, c) = noise
    let nn = Double(n)
    let expected = 2 * (1 / (nn * s * s) + (1 - 1 / nn) / (s * s + nn * c * c))
    let step = try SecLDPAccountant(graph: Graph.complete(n: n))
      .stepLoss(noise: DecorNoise(sigmaCDP: s, sigmaCor: c), curious: .none)
    expectClose(step.rho, expected)
    // The algebraic-connectivity bound is exact on Kₙ (λ₂ = n).
    expectClose(try #require(step.bounds.connectivity), expected)
  }

  @Test(arguments: [3, 5, 16, 31, 64], [(1.0, 10.0), (0.7, 2.0), (3.0, 0.25)])
  func ring(n: Int, noise: (Double, Double)) throws {
    let (s, c) = noise
    var sum = 0.0
    for k in 0..<n { sum += 1 / (s * s + 2 * c * c * (1 - cos(2 * Double.pi * Double(k) / Double(n)))) }
    expectClose(try rho(Graph.ring(n: n), sigmaCDP: s, sigmaCor: c), 2 * sum / Double(n))
  }

  @Test(arguments: [(3, 3), (4, 4), (3, 7), (5, 6)], [(1.0, 10.0), (0.5, 1.5)])
  func torus(size: (Int, Int), noise: (Double, Double)) throws {
    let (p, q) = size
    let (s, c) = noise
    var sum = 0.0
    for k in 0..<p {
      for l in 0..<q {
        let mu = 4 - 2 * cos(2 * Double.pi * Double(k) / Double(p)) - 2 * cos(2 * Double.pi * Double(l) / Double(q))
        sum += 1 / (s * s + c * c * mu)
      }
    }
    let step = try SecLDPAccountant(graph: Graph.torus(rows: p, columns: q))
      .stepLoss(noise: DecorNoise(sigmaCDP: s, sigmaCor: c), curious: .none)
    expectClose(step.rho, 2 * sum / Double(p * q))
    // Vertex-transitive: every diagonal entry is tr(Σ⁻¹)/n.
    for entry in step.inverseDiagonal { expectClose(entry, sum / Double(p * q), relative: 1e-12) }
  }

  // MARK: The honest subgraph is induced

  @Test func curiousUsersShrinkTheLaplacianNotJustTheMatrix() throws {
    // Ring of 5 with user 0 curious: honest users 1-2-3-4 form a path, and L_H is the path's
    // Laplacian (ends of degree 1), not L[H, H] (ends of degree 2).
    let s = 1.0, c = 3.0
    let step = try SecLDPAccountant(graph: Graph.ring(n: 5))
      .stepLoss(noise: DecorNoise(sigmaCDP: s, sigmaCor: c), curious: .users([0]))
    let pathRho = try rho(Graph.path(n: 4), sigmaCDP: s, sigmaCor: c)
    expectClose(step.rho, pathRho)
    #expect(step.honest == [1, 2, 3, 4])
    #expect(step.curious == [0])
    #expect(step.argmax == [1, 4])  // the path's end points
  }

  @Test func honestUserWithOnlyCuriousNeighboursFallsToLDP() throws {
    // Star with the hub curious: every leaf is isolated in G_H.
    let step = try SecLDPAccountant(graph: Graph.star(n: 9))
      .stepLoss(noise: DecorNoise(sigmaCDP: 2, sigmaCor: 50, clip: 1.5), curious: .users([0]))
    expectClose(step.rho, 2 * 1.5 * 1.5 / 4)
    expectClose(step.rho, step.bounds.ldp)
    #expect(!step.bounds.honestSubgraphConnected)
    #expect(step.bounds.connectivity == nil)
  }

  @Test func worstSingleCuriousUserIsTheMaximumOverUsers() throws {
    let graph = try Graph.star(n: 6)
    let noise = DecorNoise(sigmaCDP: 1, sigmaCor: 4)
    let accountant = SecLDPAccountant(graph: graph)
    let worst = try accountant.stepLoss(noise: noise, curious: .worstSingle)
    let each = try (0..<6).map { try accountant.stepLoss(noise: noise, curious: .users([$0])).rho }
    expectClose(worst.rho, each.max()!, relative: 0)
    #expect(worst.curious == [0] && worst.worstCurious == [0])  // the hub isolates every leaf
    expectClose(worst.rho, 2)
    // On a ring every user is an equally bad single curious user.
    let ring = try SecLDPAccountant(graph: Graph.ring(n: 8)).stepLoss(noise: noise, curious: .worstSingle)
    #expect(ring.worstCurious == Array(0..<8))
    expectClose(ring.rho, try rho(Graph.path(n: 7), sigmaCDP: 1, sigmaCor: 4))
  }

  @Test func zeroCorrelatedNoiseIsLDP() throws {
    var random = RandomStream(seed: 3, purpose: .graph)
    let graph = try Graph.erdosRenyi(n: 20, p: 0.3, using: &random)
    expectClose(try rho(graph, sigmaCDP: 0.8, sigmaCor: 0, clip: 2), 2 * 4 / 0.64)
  }
}
