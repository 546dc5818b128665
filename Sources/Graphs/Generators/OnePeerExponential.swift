/// The one-peer exponential graph (Ying et al., "Exponential graph is provably efficient for
/// decentralized deep training", NeurIPS 2021), a time-varying topology.
extension Graph {
  /// The number of distinct rounds τ = ⌈log₂ n⌉ after which the one-peer exponential graph repeats
  /// (0 for n = 1).
  public static func onePeerExponentialPeriod(n: Int) -> Int {
    n <= 1 ? 0 : Int.bitWidth - (n - 1).leadingZeroBitCount
  }

  /// The undirected graph of round `round` of the one-peer exponential topology: node i is joined
  /// to (i + 2^s) mod n with s = round mod τ, τ = ⌈log₂ n⌉.
  ///
  /// Each node then has degree 2 (it sends to i + 2^s and receives from i − 2^s), except when
  /// 2^s = n/2, where the two coincide and the round is a perfect matching with n/2 edges.
  ///
  /// The topology is defined for n a power of two; there, τ consecutive rounds of pairwise
  /// averaging reach the exact average. For other n the same rule is applied with τ = ⌈log₂ n⌉
  /// (all hops 1, 2, 4, … below n); the graphs are well defined but exact averaging after τ rounds
  /// no longer holds. n = 1 gives the single node without edges.
  public static func onePeerExponential(n: Int, round: Int) throws(GraphError) -> Graph {
    try require(n >= 1, "one-peer exponential", "n", n, expected: "at least 1")
    try require(round >= 0, "one-peer exponential", "round", round, expected: "at least 0")
    guard n > 1 else { return try Graph(nodeCount: 1) }
    let hop = 1 << (round % onePeerExponentialPeriod(n: n))
    // When 2·hop = n, i → i + hop and i + hop → i are the same edge: keep the first half only.
    let sources = 2 * hop == n ? 0..<(n / 2) : 0..<n
    return try Graph(nodeCount: n, edges: sources.map { ($0, ($0 + hop) % n) })
  }
}
