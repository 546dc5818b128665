import Randomness

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

extension Graph {
  /// The Erdős–Rényi graph G(n, p): each of the n(n−1)/2 pairs is an edge independently with
  /// probability p.
  ///
  /// Sampled in O(n + edges) by geometric skipping (Batagelj & Brandes, "Efficient generation of
  /// large random networks", 2005). With `requireConnected`, disconnected samples are discarded and
  /// the stream moves on, at most `maxAttempts` samples in all (choose p above ln(n)/n).
  ///
  /// - Throws: `.invalidParameter` for n < 1 or p outside [0, 1]; `.attemptsExhausted` when no
  ///   connected sample was found.
  public static func erdosRenyi(
    n: Int, p: Double, requireConnected: Bool = false, maxAttempts: Int = 100,
    using random: inout RandomStream
  ) throws(GraphError) -> Graph {
    try require(n >= 1, "erdos-renyi", "n", n, expected: "at least 1")
    try require(p >= 0 && p <= 1, "erdos-renyi", "p", p, expected: "a probability in [0, 1]")
    return try retrying(
      "erdos-renyi", maxAttempts: maxAttempts, requireConnected: requireConnected,
      requirement: "connected"
    ) { () throws(GraphError) -> Graph? in
      try Graph(nodeCount: n, edges: erdosRenyiEdges(n: n, p: p, using: &random))
    }
  }

  /// One G(n, p) sample as pairs (v, w) with w < v, in increasing (v, w) order.
  static func erdosRenyiEdges(n: Int, p: Double, using random: inout RandomStream) -> [(Int, Int)] {
    var edges: [(Int, Int)] = []
    if p == 0 { return edges }
    if p == 1 {
      for v in 0..<n { for w in 0..<v { edges.append((v, w)) } }
      return edges
    }
    let logQ = log1p(-p)  // log(1 − p), accurate for small p
    // Pairs are enumerated row by row: (1,0), (2,0), (2,1), (3,0), … ; each step skips a
    // geometrically distributed number of non-edges.
    let pairCount = Double(n) * Double(n)
    var v = 1, w = -1
    while v < n {
      let skip = log1p(-random.nextDouble()) / logQ  // ≥ 0; +∞ (tiny p) ends the loop below
      guard skip < pairCount else { break }  // beyond every remaining pair (and no Int overflow)
      w += 1 + Int(skip)
      while w >= v && v < n {
        w -= v
        v += 1
      }
      if v < n { edges.append((v, w)) }
    }
    return edges
  }
}
