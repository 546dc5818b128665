/// A mixing (gossip) matrix in sparse row form: for each node, its own weight and its neighbours'
/// weights, sorted by node id. One gossip step costs O(n + edges) instead of O(n²).
///
/// Row i is `entries[rowStart[i]..<rowStart[i + 1]]` and contains node i itself.
public struct MixingWeights: Hashable, Sendable {
  /// One non-zero weight of a row: W[i, node] = weight.
  public struct Entry: Hashable, Sendable {
    public let node: Int
    public let weight: Double

    public init(node: Int, weight: Double) {
      self.node = node
      self.weight = weight
    }
  }

  /// The rule the weights were built with.
  public let rule: MixingRule
  /// Row offsets into `entries`, `nodeCount + 1` of them.
  public let rowStart: [Int]
  /// All rows, concatenated; each row sorted by node and including the diagonal.
  public let entries: [Entry]

  /// The weights of `rule` on `graph`.
  public init(graph: Graph, rule: MixingRule) {
    let n = graph.nodeCount
    let maxDegree = graph.maxDegree
    var rowStart = [0]
    var entries: [Entry] = []
    entries.reserveCapacity(n + 2 * graph.edgeCount)
    var denominators: [Int] = []
    for i in 0..<n {
      let di = graph.degree(of: i)
      denominators.removeAll(keepingCapacity: true)
      // The off-diagonal weight of edge {i, j} is 1/denominator.
      for j in graph.neighbours(of: i) {
        switch rule {
        case .metropolisHastings: denominators.append(1 + max(di, graph.degree(of: j)))
        case .uniform: denominators.append(di + 1)
        case .maxDegree: denominators.append(maxDegree + 1)
        }
      }
      let selfWeight: Double
      switch rule {
      case .metropolisHastings: selfWeight = MixingWeights.oneMinusSumOfReciprocals(denominators)
      case .uniform: selfWeight = 1 / Double(di + 1)
      case .maxDegree: selfWeight = Double(maxDegree + 1 - di) / Double(maxDegree + 1)
      }
      var selfPlaced = false
      for (j, denominator) in zip(graph.neighbours(of: i), denominators) {
        if !selfPlaced && j > i {
          entries.append(Entry(node: i, weight: selfWeight))
          selfPlaced = true
        }
        entries.append(Entry(node: j, weight: 1 / Double(denominator)))
      }
      if !selfPlaced { entries.append(Entry(node: i, weight: selfWeight)) }
      rowStart.append(entries.count)
    }
    self.rule = rule
    self.rowStart = rowStart
    self.entries = entries
  }

  /// 1 − Σ 1/dₖ, correctly rounded when the exact rational fits in 53 bits (so that, e.g., the
  /// ring's diagonal is exactly 1/3), otherwise evaluated in floating point.
  static func oneMinusSumOfReciprocals(_ denominators: [Int]) -> Double {
    var numerator = 0, denominator = 1  // the running sum, in lowest terms
    for d in denominators {
      let (scaled, o1) = numerator.multipliedReportingOverflow(by: d)
      let (top, o2) = scaled.addingReportingOverflow(denominator)
      let (bottom, o3) = denominator.multipliedReportingOverflow(by: d)
      if o1 || o2 || o3 {
        return 1 - denominators.reduce(0) { $0 + 1 / Double($1) }
      }
      let divisor = gcd(top, bottom)
      (numerator, denominator) = (top / divisor, bottom / divisor)
    }
    let exactLimit = 1 << 53
    guard denominator <= exactLimit, abs(denominator - numerator) <= exactLimit else {
      return 1 - denominators.reduce(0) { $0 + 1 / Double($1) }
    }
    return Double(denominator - numerator) / Double(denominator)
  }

  private static func gcd(_ a: Int, _ b: Int) -> Int {
    var (x, y) = (abs(a), abs(b))
    while y != 0 { (x, y) = (y, x % y) }
    return max(x, 1)
  }

  // MARK: Access

  public var nodeCount: Int { rowStart.count - 1 }

  /// Row i: node i's weights on itself and its neighbours, sorted by node.
  public func row(_ i: Int) -> ArraySlice<Entry> { entries[rowStart[i]..<rowStart[i + 1]] }

  /// W[i, j], 0 when j is neither i nor a neighbour of i. Both indices must be in range.
  public func weight(_ i: Int, _ j: Int) -> Double {
    var low = rowStart[i], high = rowStart[i + 1]
    while low < high {
      let middle = (low + high) / 2
      if entries[middle].node < j { low = middle + 1 } else { high = middle }
    }
    return low < rowStart[i + 1] && entries[low].node == j ? entries[low].weight : 0
  }

  /// The dense n × n matrix.
  public var dense: DenseMatrix {
    var matrix = DenseMatrix(rows: nodeCount, columns: nodeCount)
    for i in 0..<nodeCount {
      for entry in row(i) { matrix[i, entry.node] = entry.weight }
    }
    return matrix
  }

  /// W·x, the result of one gossip step on one scalar per node. `x.count` must be `nodeCount`.
  public func multiply(_ x: [Double]) -> [Double] {
    precondition(x.count == nodeCount, "vector length \(x.count) != node count \(nodeCount)")
    return (0..<nodeCount).map { i in row(i).reduce(0) { $0 + $1.weight * x[$1.node] } }
  }
}

extension Graph {
  /// The dense mixing matrix of `rule` (see `MixingWeights` for the sparse form).
  public func mixingMatrix(_ rule: MixingRule) -> DenseMatrix {
    MixingWeights(graph: self, rule: rule).dense
  }
}
