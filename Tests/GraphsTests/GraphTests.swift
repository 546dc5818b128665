import Foundation
import Testing

@testable import Graphs

@Suite struct GraphTests {
  @Test func storesSortedSymmetricAdjacency() throws {
    let graph = try Graph(nodeCount: 5, edges: [(3, 0), (1, 0), (4, 2), (0, 2), (2, 1)])
    #expect(graph.nodeCount == 5)
    #expect(graph.edgeCount == 5)
    #expect(Array(graph.neighbours(of: 0)) == [1, 2, 3])
    #expect(Array(graph.neighbours(of: 2)) == [0, 1, 4])
    #expect(graph.degrees == [3, 2, 3, 1, 1])
    #expect(graph.maxDegree == 3 && graph.minDegree == 1 && !graph.isRegular)
    #expect(graph.edges == [Edge(0, 1), Edge(0, 2), Edge(0, 3), Edge(1, 2), Edge(2, 4)])
    for i in 0..<5 {
      for j in 0..<5 {
        #expect(graph.hasEdge(i, j) == graph.neighbours(of: i).contains(j))
        #expect(graph.hasEdge(i, j) == graph.hasEdge(j, i))
      }
    }
    #expect(!graph.hasEdge(0, 0) && !graph.hasEdge(-1, 0) && !graph.hasEdge(0, 5))
  }

  @Test func equalityIgnoresInputOrderAndOrientation() throws {
    let a = try Graph(nodeCount: 4, edges: [(0, 1), (2, 3), (1, 2)])
    let b = try Graph(nodeCount: 4, edges: [(3, 2), (1, 0), (2, 1)])
    #expect(a == b)
    #expect(try Graph(nodeCount: 4, edges: a.edges) == a)
  }

  @Test func rejectsSelfLoopsNamingTheEdge() {
    #expect(throws: GraphError.selfLoop(node: 2, index: 1)) {
      try Graph(nodeCount: 3, edges: [(0, 1), (2, 2)])
    }
  }

  @Test func rejectsOutOfRangeNodes() {
    #expect(throws: GraphError.nodeOutOfRange(i: 1, j: 3, index: 1, nodeCount: 3)) {
      try Graph(nodeCount: 3, edges: [(0, 1), (1, 3)])
    }
    #expect(throws: GraphError.nodeOutOfRange(i: -1, j: 0, index: 0, nodeCount: 3)) {
      try Graph(nodeCount: 3, edges: [(-1, 0)])
    }
    #expect(throws: GraphError.invalidNodeCount(0)) { try Graph(nodeCount: 0, edges: [(Int, Int)]()) }
  }

  @Test func rejectsDuplicatesInEitherOrientation() {
    #expect(throws: GraphError.duplicateEdge(i: 2, j: 0, index: 3, firstIndex: 1)) {
      try Graph(nodeCount: 4, edges: [(0, 1), (0, 2), (1, 3), (2, 0)])
    }
    #expect(throws: GraphError.duplicateEdge(i: 1, j: 3, index: 2, firstIndex: 0)) {
      try Graph(nodeCount: 4, edges: [(1, 3), (0, 2), (1, 3)])
    }
  }

  @Test func errorDescriptionsNameTheEdge() {
    #expect(GraphError.selfLoop(node: 2, index: 1).description == "edge #1 (2, 2) is a self-loop, expected two different nodes")
    #expect(
      GraphError.nodeOutOfRange(i: 1, j: 3, index: 1, nodeCount: 3).description
        == "edge #1 (1, 3): node 3 is out of range 0..<3")
    #expect(GraphError.duplicateEdge(i: 2, j: 0, index: 3, firstIndex: 1).description == "edge #3 (2, 0) duplicates edge #1")
  }

  @Test func complementIsAnInvolution() throws {
    let graph = try Graph(nodeCount: 6, edges: [(0, 1), (1, 2), (4, 5), (0, 5)])
    let complement = graph.complement()
    #expect(complement.edgeCount == 15 - 4)
    #expect(complement.complement() == graph)
    for edge in graph.edges { #expect(!complement.hasEdge(edge.i, edge.j)) }
    #expect(try Graph.complete(n: 7).complement() == Graph(nodeCount: 7))
  }
}

@Suite struct GraphCodingTests {
  @Test func roundTripsThroughJSON() throws {
    var random = stream(seed: 40)
    let graph = try Graph.barabasiAlbert(n: 30, m: 2, using: &random)
    let data = try JSONEncoder().encode(graph)
    #expect(try JSONDecoder().decode(Graph.self, from: data) == graph)
    let small = String(decoding: try JSONEncoder().encode(try Graph.path(n: 3)), as: UTF8.self)
    #expect(small.contains("\"edges\":[[0,1],[1,2]]"))
  }

  @Test func decodingValidates() {
    for json in [
      #"{"nodeCount": 3, "edges": [[0, 1], [1, 0]]}"#, #"{"nodeCount": 3, "edges": [[0, 0]]}"#,
      #"{"nodeCount": 3, "edges": [[0, 1, 2]]}"#, #"{"nodeCount": 0, "edges": []}"#,
    ] {
      #expect(throws: DecodingError.self) { try JSONDecoder().decode(Graph.self, from: Data(json.utf8)) }
    }
  }
}
