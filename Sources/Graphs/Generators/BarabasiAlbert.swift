import Randomness

extension Graph {
  /// The Barabási–Albert preferential-attachment graph ("Emergence of scaling in random networks",
  /// 1999).
  ///
  /// Starts from the complete graph on m + 1 nodes; each further node joins m distinct existing
  /// nodes chosen with probability proportional to their degree. Always connected, with
  /// m(m+1)/2 + (n − m − 1)·m edges.
  ///
  /// - Throws: `.invalidParameter` if m < 1 or n ≤ m.
  public static func barabasiAlbert(
    n: Int, m: Int, using random: inout RandomStream
  ) throws(GraphError) -> Graph {
    let name = "barabasi-albert"
    try require(m >= 1, name, "m", m, expected: "at least 1")
    try require(n > m, name, "n", n, expected: "more than m = \(m)")
    var edges: [(Int, Int)] = []
    edges.reserveCapacity(m * (m + 1) / 2 + (n - m - 1) * m)
    // Each node appears once per incident edge end: uniform draws from it are degree-proportional.
    var ends: [Int] = []
    ends.reserveCapacity(2 * edges.capacity)
    for i in 0...m {
      for j in (i + 1)..<(m + 1) {
        edges.append((i, j))
        ends.append(i)
        ends.append(j)
      }
    }
    var targets: [Int] = []
    for v in (m + 1)..<max(n, m + 1) {
      targets.removeAll(keepingCapacity: true)
      while targets.count < m {
        let candidate = ends[random.nextInt(below: ends.count)]
        if !targets.contains(candidate) { targets.append(candidate) }
      }
      for t in targets {
        edges.append((t, v))
        ends.append(t)
        ends.append(v)
      }
    }
    return try Graph(nodeCount: n, edges: edges)
  }
}
