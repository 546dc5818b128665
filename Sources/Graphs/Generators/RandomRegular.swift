import Randomness

extension Graph {
  /// A random k-regular simple graph on n nodes.
  ///
  /// Configuration (pairing) model with the repair step of Steger & Wormald as in networkx: the
  /// n·k half-edges are shuffled and paired; pairs that would make a self-loop or a parallel edge
  /// go back into the pool, which is shuffled and paired again while a valid pair remains; a pool
  /// with no valid pair restarts the attempt. For k > (n−1)/2 the complement of a random
  /// (n−1−k)-regular graph is returned, which keeps dense cases fast.
  ///
  /// - Throws: `.invalidParameter` if n < 1, k < 0, k ≥ n or n·k is odd; `.attemptsExhausted` when
  ///   `maxAttempts` attempts all got stuck (or, with `requireConnected`, were disconnected).
  public static func randomRegular(
    n: Int, k: Int, requireConnected: Bool = false, maxAttempts: Int = 100,
    using random: inout RandomStream
  ) throws(GraphError) -> Graph {
    let name = "random-regular"
    try require(n >= 1, name, "n", n, expected: "at least 1")
    try require(k >= 0 && k < n, name, "k", k, expected: "a degree in 0..<\(n) (k < n)")
    try require((n * k) % 2 == 0, name, "k", k, expected: "n·k even (n = \(n))")
    let complemented = k > (n - 1) / 2
    let degree = complemented ? n - 1 - k : k
    return try retrying(
      name, maxAttempts: maxAttempts, requireConnected: requireConnected,
      requirement: requireConnected ? "connected simple" : "simple"
    ) { () throws(GraphError) -> Graph? in
      guard let edges = pairing(n: n, degree: degree, using: &random) else { return nil }
      let graph = try Graph(nodeCount: n, edges: edges)
      return complemented ? graph.complement() : graph
    }
  }

  /// One attempt of the repaired pairing model; nil when it gets stuck.
  static func pairing(n: Int, degree: Int, using random: inout RandomStream) -> [(Int, Int)]? {
    var adjacent = [Set<Int>](repeating: [], count: n)  // membership only: never iterated
    var edges: [(Int, Int)] = []
    edges.reserveCapacity(n * degree / 2)
    var stubs = (0..<n).flatMap { repeatElement($0, count: degree) }
    var passes = 0
    while !stubs.isEmpty {
      passes += 1
      if passes > 100 + 10 * n { return nil }
      shuffle(&stubs, using: &random)
      var leftover = [Int](repeating: 0, count: n)
      for k in stride(from: 0, to: stubs.count, by: 2) {
        let (a, b) = (stubs[k], stubs[k + 1])
        if a != b && !adjacent[a].contains(b) {
          adjacent[a].insert(b)
          adjacent[b].insert(a)
          edges.append((a, b))
        } else {
          leftover[a] += 1
          leftover[b] += 1
        }
      }
      let pending = (0..<n).filter { leftover[$0] > 0 }
      guard !pending.isEmpty else { break }
      var repairable = false
      search: for x in pending.indices {
        for y in (x + 1)..<pending.count where !adjacent[pending[x]].contains(pending[y]) {
          repairable = true
          break search
        }
      }
      guard repairable else { return nil }
      stubs = pending.flatMap { repeatElement($0, count: leftover[$0]) }
    }
    return edges
  }
}
