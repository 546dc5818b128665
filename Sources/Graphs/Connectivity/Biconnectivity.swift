extension Graph {
  /// The articulation points (cut vertices), ascending: nodes whose removal increases the number
  /// of connected components.
  ///
  /// Tarjan's low-link depth-first search ("Depth-first search and linear graph algorithms", 1972),
  /// written with an explicit stack so that long paths cannot overflow the call stack. O(n + edges).
  public func articulationPoints() -> [Int] {
    let n = nodeCount
    var discovery = [Int](repeating: -1, count: n)
    var low = [Int](repeating: 0, count: n)
    var isCut = [Bool](repeating: false, count: n)
    // Frame: (node, its DFS parent or -1, index of the next neighbour to look at).
    var stack: [(node: Int, parent: Int, next: Int)] = []
    var time = 0
    for root in 0..<n where discovery[root] < 0 {
      discovery[root] = time
      low[root] = time
      time += 1
      var rootChildren = 0
      stack.append((root, -1, rowStart[root]))
      while let top = stack.last {
        let u = top.node
        if top.next < rowStart[u + 1] {
          stack[stack.count - 1].next += 1
          let w = neighbourList[top.next]
          if discovery[w] < 0 {
            discovery[w] = time
            low[w] = time
            time += 1
            if u == root { rootChildren += 1 }
            stack.append((w, u, rowStart[w]))
          } else if w != top.parent {
            low[u] = min(low[u], discovery[w])
          }
        } else {
          stack.removeLast()
          let parent = top.parent
          if parent >= 0 {
            low[parent] = min(low[parent], low[u])
            if parent != root && low[u] >= discovery[parent] { isCut[parent] = true }
          }
        }
      }
      if rootChildren > 1 { isCut[root] = true }
    }
    return (0..<n).filter { isCut[$0] }
  }

  /// Whether the graph is 2-(vertex-)connected in the sense used here: connected and without an
  /// articulation point, so that no single node failure disconnects it.
  ///
  /// By this definition the one-node graph and the single edge K₂ count as biconnected; every
  /// biconnected graph on three or more nodes has minimum degree at least 2.
  public var isBiconnected: Bool { isConnected && articulationPoints().isEmpty }
}
