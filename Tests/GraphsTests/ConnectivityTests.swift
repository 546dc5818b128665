import Testing

@testable import Graphs

@Suite struct ConnectivityTests {
  @Test func pathIsConnectedButNotBiconnected() throws {
    let path = try Graph.path(n: 7)
    #expect(path.isConnected)
    #expect(!path.isBiconnected)
    #expect(path.articulationPoints() == Array(1..<6))
  }

  @Test func ringAndCompleteAndTorusAreBiconnected() throws {
    for graph in [try Graph.ring(n: 9), try .complete(n: 6), try .torus(rows: 3, columns: 5), try .grid(rows: 3, columns: 3)] {
      #expect(graph.isConnected)
      #expect(graph.articulationPoints().isEmpty)
      #expect(graph.isBiconnected)
    }
  }

  @Test func twoDisjointTrianglesAreTwoComponents() throws {
    let graph = try Graph(nodeCount: 6, edges: [(0, 1), (1, 2), (2, 0), (3, 4), (4, 5), (5, 3)])
    let components = graph.connectedComponents()
    #expect(components.count == 2)
    #expect(components.representatives == [0, 3])
    #expect(components.component == [0, 0, 0, 1, 1, 1])
    #expect(components.members == [[0, 1, 2], [3, 4, 5]])
    #expect(!graph.isConnected && !graph.isBiconnected)
    #expect(graph.articulationPoints().isEmpty)
  }

  @Test func smallAndStarShapedCases() throws {
    #expect(try Graph(nodeCount: 1).isBiconnected)
    #expect(try Graph.path(n: 2).isBiconnected)  // K₂: connected, no cut vertex
    #expect(try !Graph(nodeCount: 2).isConnected)
    #expect(try Graph.star(n: 6).articulationPoints() == [0])
    // Two triangles sharing node 2 (a bow tie): 2 is the only cut vertex.
    let bowTie = try Graph(nodeCount: 5, edges: [(0, 1), (1, 2), (2, 0), (2, 3), (3, 4), (4, 2)])
    #expect(bowTie.articulationPoints() == [2])
  }

  /// Tarjan against the definition (remove the node, count components) on many small random graphs.
  @Test func articulationPointsMatchBruteForce() throws {
    for seed in 0..<60 as Range<UInt64> {
      var random = stream(seed: seed)
      let n = 3 + Int(seed % 9)
      let graph = try Graph.erdosRenyi(n: n, p: 0.25 + 0.05 * Double(seed % 5), using: &random)
      let base = graph.connectedComponents().count
      let expected = (0..<n).filter { cut in
        let kept = graph.edges.filter { !$0.contains(cut) }.map { ($0.i, $0.j) }
        // The removed node stays as an isolated component of its own, hence base + 1.
        return (try? Graph(nodeCount: n, edges: kept).connectedComponents().count).map { $0 > base + 1 } ?? false
      }
      #expect(graph.articulationPoints() == expected, "seed \(seed): \(graph.edges)")
    }
  }

  @Test func longPathsDoNotOverflowTheStack() throws {
    let path = try Graph.path(n: 200_000)
    #expect(path.articulationPoints().count == 199_998)
    #expect(path.isConnected)
  }
}
