import Randomness

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

extension MarkovChain {
  /// Transition probabilities below this are set to 0 in random chains.
  public static let negligibleProbability = 1e-60

  /// A random chain: every context's row drawn independently from the symmetric
  /// Dirichlet(concentration·1_V).
  ///
  /// The concentration sets the entropy: as it → 0 rows become one-hot and the rate → 0; at 1
  /// rows are uniform on the simplex; as it → ∞ rows approach uniform and the rate → log V.
  ///
  /// Probabilities below `negligibleProbability` (which small concentrations produce in numbers)
  /// are set to 0 and the row renormalised: the sampler resolves 2⁻⁵³ and never draws them, and
  /// they only make the stationary solve ill-conditioned.
  ///
  /// - Throws: as `init(vocabularySize:order:transitions:)`, and `.invalidParameter` for a
  ///   concentration that is not positive and finite.
  public static func random(
    vocabularySize: Int, order: Int, concentration: Double, using random: inout RandomStream
  ) throws(DataError) -> MarkovChain {
    let contexts = try contextCount(vocabularySize: vocabularySize, order: order)
    try DataError.require(
      concentration >= Dirichlet.smallestConcentration && concentration.isFinite, "markov", "concentration", concentration,
      expected: "a finite number ≥ 1e-300")
    let alphas = [Double](repeating: concentration, count: vocabularySize)
    var rows: [Double] = []
    rows.reserveCapacity(contexts * vocabularySize)
    for _ in 0..<contexts {
      var row = Dirichlet.unchecked(concentrations: alphas, using: &random)
      if row.contains(where: { $0 < negligibleProbability }) {
        for x in row.indices where row[x] < negligibleProbability { row[x] = 0 }
        let sum = row.reduce(0, +)  // ≥ the largest entry, itself ≥ 1/V
        for x in row.indices { row[x] /= sum }
      }
      rows.append(contentsOf: row)
    }
    return try MarkovChain(vocabularySize: vocabularySize, order: order, transitions: rows)
  }

  /// A context drawn from the stationary distribution.
  public func sampleContext(using random: inout RandomStream) -> Int {
    let u = random.nextDouble() * (stationaryCumulative.last ?? 1)
    var low = 0, high = contextCount - 1  // the first c with cumulative[c] > u
    while low < high {
      let mid = (low + high) / 2
      if stationaryCumulative[mid] > u { high = mid } else { low = mid + 1 }
    }
    return low
  }

  /// A symbol drawn from P(· | context).
  @inlinable
  public func sampleSymbol(after context: Int, using random: inout RandomStream) -> Int {
    let u = random.nextDouble()
    let row = context * vocabularySize
    var cumulative = 0.0
    var last = 0
    for x in 0..<vocabularySize {
      let p = transitions[row + x]
      if p == 0 { continue }
      cumulative += p
      last = x
      if u < cumulative { return x }
    }
    return last  // rounding left u ≥ Σp: the last symbol of positive probability
  }

  /// `length` symbols of a stationary run: the first k (the start context) are drawn from π, the
  /// rest from the transitions. A length below k returns a prefix of the start context.
  public func sample(length: Int, using random: inout RandomStream) -> [Int] {
    guard length > 0 else { return [] }
    var context = sampleContext(using: &random)
    var symbols = Array(self.symbols(of: context).prefix(length))
    symbols.reserveCapacity(length)
    while symbols.count < length {
      let x = sampleSymbol(after: context, using: &random)
      symbols.append(x)
      context = self.context(after: context, appending: x)
    }
    return symbols
  }

  /// log P(x_t | x_{t−k..t−1}) for t = k..<symbols.count, in nats (−∞ for an impossible step).
  ///
  /// - Precondition: every symbol is in 0..<V.
  public func conditionalLogProbabilities(of symbols: [Int]) -> [Double] {
    guard symbols.count > order else { return [] }
    var context = self.context(of: symbols[0..<order])
    var logs: [Double] = []
    logs.reserveCapacity(symbols.count - order)
    for t in order..<symbols.count {
      logs.append(log(probability(of: symbols[t], after: context)))
      context = self.context(after: context, appending: symbols[t])
    }
    return logs
  }

  /// log P(x) of a whole stationary run: log π(first k symbols) + Σ_t log P(x_t | context).
  /// Needs at least k symbols.
  public func logLikelihood(of symbols: [Int]) -> Double {
    precondition(symbols.count >= order, "a run needs at least k symbols")
    let start = log(stationary[context(of: symbols[0..<order])])
    return conditionalLogProbabilities(of: symbols).reduce(start, +)
  }
}
