import Randomness

extension Graph {
  /// The Watts–Strogatz small-world graph ("Collective dynamics of 'small-world' networks", 1998).
  ///
  /// Start from the ring lattice where each node is joined to its k nearest neighbours (k/2 on
  /// each side). Then, for each offset j = 1…k/2 and each node u in order, with probability β the
  /// edge {u, u+j mod n} is replaced by {u, w}, w uniform among the nodes that are neither u nor
  /// already adjacent to u (skipped when u is adjacent to every node). The edge count stays n·k/2;
  /// no self-loops or duplicates arise. This is the procedure of networkx's `watts_strogatz_graph`.
  ///
  /// - Throws: `.invalidParameter` if n < 1, k odd, k < 0 or k ≥ n, or β outside [0, 1];
  ///   `.attemptsExhausted` if `requireConnected` and no sample was connected.
  public static func wattsStrogatz(
    n: Int, k: Int, beta: Double, requireConnected: Bool = false, maxAttempts: Int = 100,
    using random: inout RandomStream
  ) throws(GraphError) -> Graph {
    let name = "watts-strogatz"
    try require(n >= 1, name, "n", n, expected: "at least 1")
    try require(k >= 0 && k < n && k % 2 == 0, name, "k", k, expected: "an even degree in 0..<\(n)")
    try require(beta >= 0 && beta <= 1, name, "beta", beta, expected: "a probability in [0, 1]")
    return try retrying(
      name, maxAttempts: maxAttempts, requireConnected: requireConnected, requirement: "connected"
    ) { () throws(GraphError) -> Graph? in
      try wattsStrogatzSample(n: n, k: k, beta: beta, using: &random)
    }
  }

  static func wattsStrogatzSample(
    n: Int, k: Int, beta: Double, using random: inout RandomStream
  ) throws(GraphError) -> Graph {
    var adjacent = [Set<Int>](repeating: [], count: n)  // membership and counts only
    for u in 0..<n {
      for j in stride(from: 1, through: k / 2, by: 1) {
        adjacent[u].insert((u + j) % n)
        adjacent[(u + j) % n].insert(u)
      }
    }
    for j in stride(from: 1, through: k / 2, by: 1) {
      for u in 0..<n where random.nextDouble() < beta {
        guard adjacent[u].count < n - 1 else { continue }
        var w = random.nextInt(below: n)
        while w == u || adjacent[u].contains(w) { w = random.nextInt(below: n) }
        let v = (u + j) % n
        adjacent[u].remove(v)
        adjacent[v].remove(u)
        adjacent[u].insert(w)
        adjacent[w].insert(u)
      }
    }
    var edges: [(Int, Int)] = []
    for u in 0..<n {
      // Set order varies between processes; sorting makes the edge list (not just the graph) stable.
      for v in adjacent[u].sorted() where v > u { edges.append((u, v)) }
    }
    return try Graph(nodeCount: n, edges: edges)
  }
}
