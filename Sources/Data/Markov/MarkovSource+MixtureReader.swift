#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

extension MarkovSource {
  /// A Monte-Carlo estimate with its standard error.
  public struct Estimate: Sendable, Equatable {
    public var mean: Double
    public var standardError: Double
  }

  /// The cross-entropy, in nats per token, of the Bayes-optimal reader that knows every chain
  /// but not the domain: documents of `documentLength` tokens from a uniformly chosen domain,
  /// scored by the mixture −log((1/K)·Σ_d P_d(x)) / T, each P_d a stationary run
  /// (`MarkovChain.logLikelihood`).
  ///
  /// It is at least the mean entropy rate minus the start-context term and at most the mean rate
  /// plus (log K)/T plus that term: the price of not knowing the domain vanishes as T grows. The
  /// estimate averages `samplesPerDomain` documents per domain from the `.markovEstimate` stream
  /// (independent of the corpus); cost K²·samples·T.
  public func mixtureReaderCrossEntropy(documentLength: Int, samplesPerDomain: Int) throws(DataError)
    -> Estimate
  {
    let order = chains[0].order
    try DataError.require(
      documentLength >= max(1, order), "markov", "documentLength", documentLength,
      expected: "at least max(1, order) = \(max(1, order))")
    try DataError.require(
      samplesPerDomain >= 2, "markov", "samplesPerDomain", samplesPerDomain, expected: "at least 2")
    let logK = log(Double(domainCount))
    var losses: [Double] = []
    for d in 0..<domainCount {
      for i in 0..<samplesPerDomain {
        var random = stream(.markovEstimate, domain: d, index: i)
        let symbols = chains[d].sample(length: documentLength, using: &random)
        let logs = chains.map { $0.logLikelihood(of: symbols) }
        let top = logs.max() ?? 0
        let logMixture = top + log(logs.reduce(0) { $0 + exp($1 - top) }) - logK
        losses.append(-logMixture / Double(documentLength))
      }
    }
    let n = Double(losses.count)
    let mean = losses.reduce(0, +) / n
    let variance = losses.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / (n - 1)
    return Estimate(mean: mean, standardError: (variance / n).squareRoot())
  }
}
