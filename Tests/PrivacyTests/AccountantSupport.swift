import Foundation
import Graphs
import Randomness
import Testing

@testable import Privacy

/// |a − b| / max(|a|, |b|), 0 when both are 0.
func relativeDifference(_ a: Double, _ b: Double) -> Double {
  let scale = max(abs(a), abs(b))
  return scale == 0 ? 0 : abs(a - b) / scale
}

/// Expects `computed` within `tolerance` (relative) of `expected`.
func expectClose(
  _ computed: Double, _ expected: Double, relative tolerance: Double = 1e-9, _ label: String = "",
  sourceLocation: SourceLocation = #_sourceLocation
) {
  let difference = relativeDifference(computed, expected)
  #expect(
    difference <= tolerance, "\(label) computed \(computed), expected \(expected) (relative difference \(difference))",
    sourceLocation: sourceLocation)
}

/// ρ for a graph, noise and curious set, through the public API.
func rho(
  _ graph: Graph, sigmaCDP: Double, sigmaCor: Double, clip: Double = 1, curious: CuriousUsers = .none
) throws -> Double {
  try SecLDPAccountant(graph: graph)
    .stepLoss(noise: DecorNoise(sigmaCDP: sigmaCDP, sigmaCor: sigmaCor, clip: clip), curious: curious).rho
}

/// One random case of the property tests: a graph from one of the Graphs generators, noise
/// levels, and a random curious set that leaves at least two honest users.
struct RandomCase: CustomStringConvertible {
  let name: String
  let graph: Graph
  let noise: DecorNoise
  let curious: [Int]

  var description: String { "\(name), \(noise), curious \(curious)" }
}

/// `count` reproducible random cases (graphs of 4–30 nodes, σ's over several decades).
func randomCases(count: Int = 50, seed: UInt64 = 7) throws -> [RandomCase] {
  var random = RandomStream(seed: seed, purpose: StreamPurpose("privacy-tests"))
  var cases: [RandomCase] = []
  for index in 0..<count {
    let n = 4 + random.nextInt(below: 27)
    let graph: Graph
    let name: String
    switch index % 5 {
    case 0, 1:
      let p = 0.1 + 0.5 * random.nextDouble()
      graph = try Graph.erdosRenyi(n: n, p: p, using: &random)
      name = "erdos-renyi(\(n), \(String(format: "%.2f", p)))"
    case 2:
      let m = 1 + random.nextInt(below: 3)
      graph = try Graph.barabasiAlbert(n: max(n, m + 1), m: m, using: &random)
      name = "barabasi-albert(\(max(n, m + 1)), \(m))"
    case 3:
      let k = 2 * (1 + random.nextInt(below: min(3, (n - 1) / 2)))
      graph = try Graph.wattsStrogatz(n: n, k: k, beta: 0.3, using: &random)
      name = "watts-strogatz(\(n), \(k), 0.3)"
    default:
      let even = n % 2 == 0 ? n : n + 1
      graph = try Graph.randomRegular(n: even, k: 3, using: &random)
      name = "random-regular(\(even), 3)"
    }
    let sigmaCDP = pow(10, -1 + 2 * random.nextDouble())  // 0.1 … 10
    let sigmaCor = pow(10, -1 + 3 * random.nextDouble())  // 0.1 … 100
    let clip = 0.5 + 2 * random.nextDouble()
    var curious: [Int] = []
    let curiousCount = random.nextInt(below: max(1, graph.nodeCount / 3))
    while curious.count < curiousCount {
      let c = random.nextInt(below: graph.nodeCount)
      if !curious.contains(c) { curious.append(c) }
    }
    cases.append(
      RandomCase(
        name: name, graph: graph, noise: DecorNoise(sigmaCDP: sigmaCDP, sigmaCor: sigmaCor, clip: clip),
        curious: curious))
  }
  return cases
}
