#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// An order-k Markov chain over the symbols 0..<V, with its stationary distribution and its exact
/// entropy rate.
///
/// A context is the last k symbols, encoded as c = Σᵢ s_{t−k+i}·V^(k−1−i) (oldest symbol most
/// significant), so there are V^k contexts and the context after c and x is (c·V + x) mod V^k.
/// `transitions` holds P(x | c) row-major: entry c·V + x. Order 0 is an i.i.d. source with one
/// empty context.
///
/// The entropy rate, in nats per symbol, is H = Σ_c π(c)·H(P(·|c)) with π the stationary
/// distribution over contexts: exact (direct elimination) up to `exactSolveLimit` contexts, by
/// power iteration to an L1 residual of 1e-13 above (see `MarkovChain+Stationary`). For a
/// reducible chain π is the limit of the lazy chain started from the uniform distribution over
/// contexts; `sample` starts its runs from it.
public struct MarkovChain: Sendable, Equatable {
  /// Largest accepted number of contexts V^k (about 10⁶).
  public static let maximumContextCount = 1 << 20
  /// Largest accepted transition table V^(k+1) (16 Mi doubles, 128 MiB).
  public static let maximumTableSize = 1 << 24

  public let vocabularySize: Int
  public let order: Int
  /// V^k.
  public let contextCount: Int
  /// P(x | c) at index c·V + x; every row sums to 1.
  public let transitions: [Double]
  /// π(c), the stationary distribution over contexts.
  public let stationary: [Double]
  /// ‖πP − π‖₁ of `stationary`: rounding-level for exact solves, at most the tolerance (or its
  /// rounding floor) for power iteration.
  public let stationaryResidual: Double
  /// H(P(·|c)) in nats, per context.
  public let contextEntropies: [Double]
  /// The entropy rate Σ_c π(c)·H(P(·|c)), in nats per symbol.
  public let entropyRate: Double
  /// Running sums of `stationary`, for drawing a start context by bisection.
  let stationaryCumulative: [Double]

  /// A chain from an explicit transition table.
  ///
  /// - Parameters:
  ///   - transitions: V^(k+1) probabilities, row c holding P(· | c); each row must be
  ///     non-negative and sum to 1 within 1e-9 (rows are renormalised exactly).
  ///   - tolerance: the L1 residual ‖πP − π‖₁ power iteration must reach (raised to the
  ///     rounding floor 16·V·ε); unused by exact solves.
  ///   - maxIterations: the budget of the power iteration.
  /// - Throws: `.invalidParameter` for V < 1, k < 0 or a bad row; `.stateSpaceTooLarge` beyond
  ///   `maximumContextCount` contexts or `maximumTableSize` entries; `.notConverged`.
  public init(
    vocabularySize: Int, order: Int, transitions: [Double], tolerance: Double = 1e-13,
    maxIterations: Int = 100_000
  ) throws(DataError) {
    let contextCount = try MarkovChain.contextCount(vocabularySize: vocabularySize, order: order)
    let V = vocabularySize
    try DataError.require(
      transitions.count == contextCount * V, "markov", "transitions.count", transitions.count,
      expected: "V^(k+1) = \(contextCount * V) entries")
    var rows = transitions
    for c in 0..<contextCount {
      var sum = 0.0
      for x in 0..<V {
        let p = rows[c * V + x]
        try DataError.require(
          p >= 0 && p.isFinite, "markov", "transitions[\(c * V + x)]", p,
          expected: "a probability in [0, 1]")
        sum += p
      }
      try DataError.require(
        abs(sum - 1) <= 1e-9, "markov", "row \(c) sum", sum, expected: "rows summing to 1")
      for x in 0..<V { rows[c * V + x] /= sum }
    }
    try DataError.require(
      tolerance > 0, "markov", "tolerance", tolerance, expected: "a positive number")
    try DataError.require(
      maxIterations >= 1, "markov", "maxIterations", maxIterations, expected: "at least 1")

    self.vocabularySize = V
    self.order = order
    self.contextCount = contextCount
    self.transitions = rows
    (stationary, stationaryResidual) = try MarkovChain.stationaryDistribution(
      transitions: rows, vocabularySize: V, contextCount: contextCount, tolerance: tolerance,
      maxIterations: maxIterations)
    var entropies = [Double](repeating: 0, count: contextCount)
    var rate = 0.0
    for c in 0..<contextCount {
      var h = 0.0
      for x in 0..<V {
        let p = rows[c * V + x]
        if p > 0 { h -= p * log(p) }
      }
      entropies[c] = h
      rate += stationary[c] * h
    }
    contextEntropies = entropies
    entropyRate = rate
    var cumulative = [Double](repeating: 0, count: contextCount)
    var running = 0.0
    for c in 0..<contextCount {
      running += stationary[c]
      cumulative[c] = running
    }
    stationaryCumulative = cumulative
  }

  /// V^k, checked against the limits.
  static func contextCount(vocabularySize V: Int, order k: Int) throws(DataError) -> Int {
    try DataError.require(V >= 1, "markov", "vocabularySize", V, expected: "at least 1")
    try DataError.require(k >= 0, "markov", "order", k, expected: "at least 0")
    var count = 1
    for _ in 0..<k {
      let (next, overflow) = count.multipliedReportingOverflow(by: V)
      guard !overflow, next <= maximumContextCount else {
        throw DataError(
          source: "markov", text: "V^k = \(V)^\(k)", kind: .stateSpaceTooLarge(limit: maximumContextCount),
          expected: "a smaller vocabulary or order")
      }
      count = next
    }
    guard count * V <= maximumTableSize else {
      throw DataError(
        source: "markov", text: "V^(k+1) = \(V)^\(k + 1) = \(count * V)",
        kind: .stateSpaceTooLarge(limit: maximumTableSize), expected: "a smaller vocabulary or order")
    }
    return count
  }

  /// P(symbol | context).
  @inlinable
  public func probability(of symbol: Int, after context: Int) -> Double {
    transitions[context * vocabularySize + symbol]
  }

  /// The context that follows `context` when `symbol` is emitted.
  @inlinable
  public func context(after context: Int, appending symbol: Int) -> Int {
    (context * vocabularySize + symbol) % contextCount
  }

  /// The context made of the k symbols `symbols[start..<start+k]`.
  public func context(of symbols: ArraySlice<Int>) -> Int {
    symbols.reduce(0) { ($0 * vocabularySize + $1) % contextCount }
  }

  /// The symbols of `context`, oldest first.
  public func symbols(of context: Int) -> [Int] {
    var symbols = [Int](repeating: 0, count: order)
    var c = context
    for i in stride(from: order - 1, through: 0, by: -1) {
      symbols[i] = c % vocabularySize
      c /= vocabularySize
    }
    return symbols
  }
}
