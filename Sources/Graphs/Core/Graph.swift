/// An undirected simple graph on the nodes `0..<nodeCount`: no self-loops, no parallel edges.
///
/// A value type stored in compressed sparse row (CSR) form: the neighbours of node `i` are
/// `neighbourList[rowStart[i]..<rowStart[i + 1]]`, sorted ascending, and every edge appears in the
/// rows of both endpoints. Two graphs are equal exactly when they have the same nodes and edges.
public struct Graph: Hashable, Sendable, CustomStringConvertible {
  /// Row offsets into `neighbourList`; `nodeCount + 1` entries, the first 0 and the last `2·edgeCount`.
  public let rowStart: [Int]
  /// All adjacency lists, concatenated; each row sorted ascending.
  public let neighbourList: [Int]

  /// The number of nodes (at least 1).
  public var nodeCount: Int { rowStart.count - 1 }
  /// The number of undirected edges.
  public var edgeCount: Int { neighbourList.count / 2 }

  /// A graph from parts that already satisfy the invariants (sorted rows, symmetric, simple).
  init(uncheckedRowStart rowStart: [Int], neighbourList: [Int]) {
    self.rowStart = rowStart
    self.neighbourList = neighbourList
  }

  /// The graph with `nodeCount` nodes and no edges.
  public init(nodeCount: Int) throws(GraphError) {
    guard nodeCount >= 1 else { throw .invalidNodeCount(nodeCount) }
    self.init(uncheckedRowStart: [Int](repeating: 0, count: nodeCount + 1), neighbourList: [])
  }

  /// The graph with `nodeCount` nodes and the given edges, each a pair of node ids in either
  /// orientation.
  ///
  /// - Throws: `GraphError.invalidNodeCount` if `nodeCount < 1`; for the first offending edge in
  ///   input order, `.nodeOutOfRange` or `.selfLoop`; then, for the first edge that repeats an
  ///   earlier one (either orientation), `.duplicateEdge`.
  public init(nodeCount: Int, edges: some Sequence<(Int, Int)>) throws(GraphError) {
    guard nodeCount >= 1 else { throw .invalidNodeCount(nodeCount) }
    let pairs = Array(edges)
    var degree = [Int](repeating: 0, count: nodeCount)
    for (index, (a, b)) in pairs.enumerated() {
      guard a >= 0, a < nodeCount, b >= 0, b < nodeCount else {
        throw .nodeOutOfRange(i: a, j: b, index: index, nodeCount: nodeCount)
      }
      guard a != b else { throw .selfLoop(node: a, index: index) }
      degree[a] += 1
      degree[b] += 1
    }
    var rowStart = [Int](repeating: 0, count: nodeCount + 1)
    for i in 0..<nodeCount { rowStart[i + 1] = rowStart[i] + degree[i] }
    var fill = Array(rowStart.dropLast())
    var neighbourList = [Int](repeating: 0, count: rowStart[nodeCount])
    for (a, b) in pairs {
      neighbourList[fill[a]] = b
      fill[a] += 1
      neighbourList[fill[b]] = a
      fill[b] += 1
    }
    var hasDuplicate = false
    for i in 0..<nodeCount where rowStart[i + 1] - rowStart[i] > 1 {
      neighbourList[rowStart[i]..<rowStart[i + 1]].sort()
      for k in (rowStart[i] + 1)..<rowStart[i + 1] where neighbourList[k] == neighbourList[k - 1] {
        hasDuplicate = true
      }
    }
    if hasDuplicate { throw Graph.firstDuplicate(in: pairs) }
    self.init(uncheckedRowStart: rowStart, neighbourList: neighbourList)
  }

  /// The graph with `nodeCount` nodes and the given edges.
  public init(nodeCount: Int, edges: [Edge]) throws(GraphError) {
    try self.init(nodeCount: nodeCount, edges: edges.lazy.map { ($0.i, $0.j) })
  }

  /// The first edge, in input order, that repeats an earlier one. Only called once a duplicate
  /// is known to exist.
  private static func firstDuplicate(in pairs: [(Int, Int)]) -> GraphError {
    var firstSeen: [Edge: Int] = [:]
    for (index, (a, b)) in pairs.enumerated() {
      let edge = Edge(a, b)
      if let first = firstSeen[edge] {
        return .duplicateEdge(i: a, j: b, index: index, firstIndex: first)
      }
      firstSeen[edge] = index
    }
    preconditionFailure("firstDuplicate called on a list without duplicates")
  }

  // MARK: Queries

  /// The neighbours of node `i`, ascending. `i` must be in `0..<nodeCount`.
  public func neighbours(of i: Int) -> ArraySlice<Int> {
    neighbourList[rowStart[i]..<rowStart[i + 1]]
  }

  /// The number of neighbours of node `i`. `i` must be in `0..<nodeCount`.
  public func degree(of i: Int) -> Int { rowStart[i + 1] - rowStart[i] }

  /// The degree of every node, indexed by node.
  public var degrees: [Int] { (0..<nodeCount).map { degree(of: $0) } }

  /// The largest degree.
  public var maxDegree: Int { (0..<nodeCount).map { degree(of: $0) }.max() ?? 0 }

  /// The smallest degree.
  public var minDegree: Int { (0..<nodeCount).map { degree(of: $0) }.min() ?? 0 }

  /// Whether every node has the same degree.
  public var isRegular: Bool { maxDegree == minDegree }

  /// Whether `i` and `j` are adjacent; false when either is out of range or `i == j`.
  /// O(log min(dᵢ, dⱼ)).
  public func hasEdge(_ i: Int, _ j: Int) -> Bool {
    guard i >= 0, i < nodeCount, j >= 0, j < nodeCount, i != j else { return false }
    let (row, target) = degree(of: i) <= degree(of: j) ? (i, j) : (j, i)
    var low = rowStart[row], high = rowStart[row + 1]
    while low < high {
      let middle = (low + high) / 2
      if neighbourList[middle] < target { low = middle + 1 } else { high = middle }
    }
    return low < rowStart[row + 1] && neighbourList[low] == target
  }

  /// Every edge once, with `i < j`, in lexicographic order.
  public var edges: [Edge] {
    var result: [Edge] = []
    result.reserveCapacity(edgeCount)
    for i in 0..<nodeCount {
      for j in neighbours(of: i) where j > i { result.append(Edge(i, j)) }
    }
    return result
  }

  public var description: String {
    "Graph(\(nodeCount) nodes, \(edgeCount) edges)"
  }
}
