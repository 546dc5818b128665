import Foundation
import Randomness
import Testing

@testable import Graphs

/// The stream a test draws a random graph from.
func stream(seed: UInt64 = 1, round: UInt32 = 0) -> RandomStream {
  RandomStream(seed: seed, purpose: .graph, round: round)
}

/// Element-wise |a − b| ≤ tolerance, after sorting both (for spectra).
func expectSameSpectrum(
  _ computed: [Double], _ expected: [Double], tolerance: Double = 1e-9,
  sourceLocation: SourceLocation = #_sourceLocation
) {
  #expect(computed.count == expected.count, sourceLocation: sourceLocation)
  let worst = zip(computed.sorted(), expected.sorted()).map { abs($0 - $1) }.max() ?? 0
  #expect(worst <= tolerance, "largest deviation \(worst)", sourceLocation: sourceLocation)
}

/// The node count and edges as plain pairs, for building reference graphs.
func pairs(_ graph: Graph) -> [(Int, Int)] { graph.edges.map { ($0.i, $0.j) } }

/// A few random graphs of each random family, for property checks.
func randomGraphs() throws -> [(String, Graph)] {
  var random = stream(seed: 11)
  return [
    ("erdos-renyi(40, 0.15)", try Graph.erdosRenyi(n: 40, p: 0.15, requireConnected: true, using: &random)),
    ("erdos-renyi(25, 0.05)", try Graph.erdosRenyi(n: 25, p: 0.05, using: &random)),
    ("barabasi-albert(50, 2)", try Graph.barabasiAlbert(n: 50, m: 2, using: &random)),
    ("barabasi-albert(30, 3)", try Graph.barabasiAlbert(n: 30, m: 3, using: &random)),
    ("watts-strogatz(40, 4, 0.2)", try Graph.wattsStrogatz(n: 40, k: 4, beta: 0.2, using: &random)),
    ("watts-strogatz(30, 6, 1)", try Graph.wattsStrogatz(n: 30, k: 6, beta: 1, using: &random)),
    ("random-regular(30, 3)", try Graph.randomRegular(n: 30, k: 3, using: &random)),
  ]
}
