extension MarkovChain {
  /// Chains with at most this many contexts get their stationary distribution by exact elimination
  /// (`ExactStationary`, O(C³)); larger ones by power iteration.
  public static let exactSolveLimit = 1024

  /// The stationary distribution over contexts: exact up to `exactSolveLimit` contexts (unless a
  /// pivot underflows), by power iteration otherwise.
  ///
  /// - Returns: π (summing to 1) and its L1 residual ‖πP − π‖₁.
  /// - Throws: `.notConverged` when power iteration needs more than `maxIterations`.
  static func stationaryDistribution(
    transitions: [Double], vocabularySize V: Int, contextCount C: Int, tolerance: Double,
    maxIterations: Int
  ) throws(DataError) -> ([Double], Double) {
    if C == 1 { return ([1], 0) }
    if C <= exactSolveLimit,
      let pi = ExactStationary.solve(transitions: transitions, vocabularySize: V, contextCount: C)
    {
      return (pi, residual(of: pi, transitions: transitions, vocabularySize: V, contextCount: C))
    }
    return try powerIteration(
      transitions: transitions, vocabularySize: V, contextCount: C, tolerance: tolerance,
      maxIterations: maxIterations)
  }

  /// ‖πP − π‖₁.
  static func residual(of pi: [Double], transitions: [Double], vocabularySize V: Int, contextCount C: Int) -> Double {
    var next = [Double](repeating: 0, count: C)
    for c in 0..<C {
      for x in 0..<V { next[(c * V + x) % C] += pi[c] * transitions[c * V + x] }
    }
    return zip(next, pi).reduce(0) { $0 + abs($1.0 - $1.1) }
  }

  /// The stationary distribution over contexts by power iteration on the lazy chain
  /// π ← (π + πP)/2, from the uniform distribution.
  ///
  /// The lazy chain has the same stationary distributions as P but no periodicity, so the
  /// iteration converges for periodic chains too (a deterministic cycle, say). It stops when the
  /// L1 residual ‖πP − π‖₁ is at most max(tolerance, 16·V·ε): every entry of πP sums V terms, so
  /// its relative rounding error is about V·ε, and so is the residual's floor (ε = 2.2e-16; the
  /// floor passes 1e-13 only for V > 28). Cost: V^(k+1) multiply-adds per iteration.
  ///
  /// - Returns: π (summing to 1) and its residual.
  /// - Throws: `.notConverged` when `maxIterations` is not enough.
  static func powerIteration(
    transitions: [Double], vocabularySize V: Int, contextCount C: Int, tolerance: Double,
    maxIterations: Int
  ) throws(DataError) -> ([Double], Double) {
    let floor = max(tolerance, 16 * Double.ulpOfOne * Double(V))
    var pi = [Double](repeating: 1 / Double(C), count: C)
    var next = [Double](repeating: 0, count: C)
    var residual = Double.infinity
    let suffixCount = C / V  // V^(k−1): the context after c keeps c mod V^(k−1)
    for _ in 0..<maxIterations {
      residual = transitions.withUnsafeBufferPointer { p in
        pi.withUnsafeMutableBufferPointer { pi in
          next.withUnsafeMutableBufferPointer { next in
            for i in 0..<C { next[i] = 0 }
            for c in 0..<C {
              let mass = pi[c]
              if mass == 0 { continue }
              let row = c * V
              let base = (c % suffixCount) * V
              for x in 0..<V { next[base + x] += mass * p[row + x] }
            }
            var r = 0.0
            var total = 0.0
            for i in 0..<C {
              r += abs(next[i] - pi[i])
              pi[i] = 0.5 * (pi[i] + next[i])
              total += pi[i]
            }
            for i in 0..<C { pi[i] /= total }
            return r
          }
        }
      }
      if residual <= floor { return (pi, residual) }
    }
    throw DataError(
      source: "markov", kind: .notConverged(iterations: maxIterations, residual: residual),
      expected: "a residual of at most \(floor) (raise maxIterations)")
  }
}
