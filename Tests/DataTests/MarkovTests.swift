import Randomness
import Testing

@testable import Data

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

@Suite struct MarkovTests {
  /// The empirical per-symbol entropy −mean log P(x_t | context) of a long stationary run matches
  /// the exact rate.
  ///
  /// Tolerance: the run starts in the stationary distribution, so the mean is unbiased; by the
  /// Markov-chain CLT it is normal with variance σ²_∞/n, where σ²_∞ includes the autocorrelation
  /// of the log-probabilities. We estimate σ_∞/√n by batch means (200 batches of 1000 steps, far
  /// longer than this chain's mixing time) and allow 5 of those standard errors; the i.i.d.
  /// standard error std(log p)/√n is printed for comparison and is of the same size.
  @Test func empiricalEntropyMatchesTheExactRate() throws {
    var random = stream(seed: 10)
    let chain = try MarkovChain.random(vocabularySize: 6, order: 2, concentration: 0.5, using: &random)
    let symbols = chain.sample(length: 200_002, using: &random)
    let losses = chain.conditionalLogProbabilities(of: symbols).map { -$0 }
    #expect(losses.count == 200_000)
    let n = Double(losses.count)
    let mean = losses.reduce(0, +) / n
    let iidStandardError = (losses.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / (n - 1) / n).squareRoot()
    let batches = 200, size = losses.count / batches
    let batchMeans = (0..<batches).map { b in losses[b * size..<(b + 1) * size].reduce(0, +) / Double(size) }
    let batchStandardError =
      (batchMeans.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(batches - 1) / Double(batches)).squareRoot()
    let tolerance = 5 * max(batchStandardError, iidStandardError)
    #expect(chain.entropyRate > 0.3 && chain.entropyRate < log(6.0))
    #expect(
      abs(mean - chain.entropyRate) <= tolerance,
      "empirical \(mean), exact \(chain.entropyRate), SE \(batchStandardError) (iid \(iidStandardError))")
  }

  @Test func twoStateChainHasTheClosedFormRate() throws {
    let a = 0.3, b = 0.1
    let chain = try MarkovChain(vocabularySize: 2, order: 1, transitions: [1 - a, a, b, 1 - b])
    let h = { (p: Double) in -p * log(p) - (1 - p) * log(1 - p) }
    // π = (b, a)/(a + b) solves πP = π.
    #expect(abs(chain.stationary[0] - b / (a + b)) < 1e-13)
    #expect(abs(chain.entropyRate - (b * h(a) + a * h(b)) / (a + b)) < 1e-13)
  }

  @Test func uniformChainHasLogV() throws {
    for (V, k) in [(5, 0), (4, 1), (3, 3)] {
      let contexts = Int(pow(Double(V), Double(k)))
      let chain = try MarkovChain(
        vocabularySize: V, order: k, transitions: [Double](repeating: 1 / Double(V), count: contexts * V))
      #expect(abs(chain.entropyRate - log(Double(V))) < 1e-12)
    }
  }

  @Test func deterministicChainsHaveZeroRate() throws {
    // The cycle a → b → c → a: periodic, which the lazy power iteration handles.
    let cycle = try MarkovChain(vocabularySize: 3, order: 1, transitions: [0, 1, 0, 0, 0, 1, 1, 0, 0])
    #expect(cycle.entropyRate == 0)
    #expect(cycle.stationary.allSatisfy { abs($0 - 1.0 / 3) < 1e-12 })
    var random = stream(seed: 11)
    let run = cycle.sample(length: 9, using: &random)
    #expect(zip(run, run.dropFirst()).allSatisfy { ($0 + 1) % 3 == $1 })
    // Concentration → 0: rows become one-hot and the rate vanishes.
    let sharp = try MarkovChain.random(vocabularySize: 5, order: 2, concentration: 1e-3, using: &random)
    #expect(sharp.entropyRate >= 0 && sharp.entropyRate < 0.05, "rate \(sharp.entropyRate)")
    // A large concentration approaches the uniform rate log V.
    let flat = try MarkovChain.random(vocabularySize: 5, order: 2, concentration: 1e4, using: &random)
    #expect(abs(flat.entropyRate - log(5.0)) < 1e-3)
  }

  @Test func stationaryDistributionIsStationary() throws {
    var random = stream(seed: 12)
    let chain = try MarkovChain.random(vocabularySize: 4, order: 3, concentration: 0.3, using: &random)
    var next = [Double](repeating: 0, count: chain.contextCount)
    for c in 0..<chain.contextCount {
      for x in 0..<4 { next[chain.context(after: c, appending: x)] += chain.stationary[c] * chain.probability(of: x, after: c) }
    }
    let residual = zip(next, chain.stationary).reduce(0) { $0 + abs($1.0 - $1.1) }
    #expect(residual < 1e-12)
    #expect(abs(chain.stationary.reduce(0, +) - 1) < 1e-12)
    #expect(chain.stationaryResidual <= 1e-13)
    #expect(chain.symbols(of: chain.context(of: [3, 1, 2][...])) == [3, 1, 2])
  }

  @Test func orderZeroIsIID() throws {
    let chain = try MarkovChain(vocabularySize: 3, order: 0, transitions: [0.5, 0.25, 0.25])
    #expect(abs(chain.entropyRate - 1.5 * log(2.0)) < 1e-14)
    var random = stream(seed: 13)
    #expect(chain.sample(length: 50, using: &random).count == 50)
  }

  @Test func rejectsHugeStateSpacesAndBadTables() {
    var random = stream()
    let huge = dataError { () throws(DataError) in
      _ = try MarkovChain.random(vocabularySize: 30, order: 5, concentration: 1, using: &random)
    }
    #expect(huge?.kind == .stateSpaceTooLarge(limit: MarkovChain.maximumContextCount))
    #expect(huge?.description == "markov: V^k = 30^5 exceeds the limit of 1048576, expected a smaller vocabulary or order")
    let wide = dataError { () throws(DataError) in
      _ = try MarkovChain.random(vocabularySize: 300, order: 2, concentration: 1, using: &random)
    }
    #expect(wide?.kind == .stateSpaceTooLarge(limit: MarkovChain.maximumTableSize))
    #expect(throws: DataError.self) { try MarkovChain(vocabularySize: 2, order: 1, transitions: [0.5, 0.5, 0.7, 0.7]) }
    #expect(throws: DataError.self) { try MarkovChain(vocabularySize: 2, order: 1, transitions: [0.5, 0.5]) }
    #expect(throws: DataError.self) { try MarkovChain(vocabularySize: 2, order: 1, transitions: [1.5, -0.5, 0.5, 0.5]) }
    #expect(throws: DataError.self) { try MarkovChain.random(vocabularySize: 3, order: 1, concentration: 0, using: &random) }
    #expect(throws: DataError.self) { try MarkovChain.random(vocabularySize: 0, order: 1, concentration: 1, using: &random) }
  }

  @Test func sourceIsDeterministicAndUsesTheAlphabet() throws {
    let source = try MarkovSource(domainCount: 3, vocabularySize: 8, order: 2, concentration: 0.4, seed: 42)
    let again = try MarkovSource(domainCount: 3, vocabularySize: 8, order: 2, concentration: 0.4, seed: 42)
    let other = try MarkovSource(domainCount: 3, vocabularySize: 8, order: 2, concentration: 0.4, seed: 43)
    #expect(source.chains == again.chains && source.chains != other.chains)
    #expect(source.chains[0] != source.chains[1])
    #expect(source.alphabet == .letters)
    #expect(source.domainNames == ["markov-0", "markov-1", "markov-2"])
    let corpus = try source.corpus(documentsPerDomain: 4, documentLength: 30)
    #expect(corpus == (try again.corpus(documentsPerDomain: 4, documentLength: 30)))
    #expect(corpus.documentCount == 12 && corpus.documentCounts == [4, 4, 4])
    #expect(corpus.documents.allSatisfy { $0.tokens.count == 30 && $0.tokens.allSatisfy { (97..<105).contains($0) } })
    // A document does not depend on how many were generated.
    #expect(corpus.documents[5] == source.document(domain: 1, index: 1, length: 30))
    #expect(source.symbols(of: corpus.documents[0]).map { $0.count } == 30)
    #expect(throws: DataError.self) {
      try MarkovSource(domainCount: 1, vocabularySize: 30, order: 1, concentration: 1, alphabet: .letters, seed: 1)
    }
    #expect(throws: DataError.self) { try source.corpus(documentsPerDomain: 1, documentLength: 1) }
  }

  @Test func mixtureReaderPaysAtMostLogKOverT() throws {
    let source = try MarkovSource(domainCount: 4, vocabularySize: 6, order: 1, concentration: 0.5, seed: 7)
    let T = 64
    let estimate = try source.mixtureReaderCrossEntropy(documentLength: T, samplesPerDomain: 100)
    let meanRate = source.entropyRates.reduce(0, +) / 4
    // Loss of the domain-aware reader on T tokens: (H(π) + (T − 1)·rate)/T ≤ (log V + T·rate)/T;
    // not knowing the domain adds at most log(K)/T.
    let slack = 5 * estimate.standardError
    #expect(estimate.mean >= meanRate - log(6.0) / Double(T) - slack)
    #expect(estimate.mean <= meanRate + (log(4.0) + log(6.0)) / Double(T) + slack)
  }
}

@Suite struct StationarySolverTests {
  /// Exact elimination and power iteration agree on chains both can handle.
  @Test func exactSolveMatchesPowerIteration() throws {
    var random = stream(seed: 20)
    for (V, k, concentration) in [(4, 2, 0.5), (3, 3, 2.0), (7, 1, 0.1)] {
      let chain = try MarkovChain.random(vocabularySize: V, order: k, concentration: concentration, using: &random)
      let (iterated, residual) = try MarkovChain.powerIteration(
        transitions: chain.transitions, vocabularySize: V, contextCount: chain.contextCount, tolerance: 1e-14,
        maxIterations: 100_000)
      #expect(residual <= 1e-13)
      #expect(zip(iterated, chain.stationary).allSatisfy { abs($0 - $1) < 1e-12 })
      #expect(chain.stationaryResidual < 1e-14)
    }
  }

  /// A reducible chain: context 0 is transient and splits its mass between two closed classes
  /// ({1} absorbing, {2, 3} a 2-cycle); the limit from the uniform start is what the lazy power
  /// iteration approaches.
  @Test func reducibleChainsKeepTheMassFromTheUniformStart() throws {
    let transitions: [Double] = [
      0.5, 0.2, 0.3, 0,  // 0 → 0, 1, 2
      0, 1, 0, 0,  // 1 absorbing
      0, 0, 0, 1,  // 2 → 3
      0, 0, 1, 0,  // 3 → 2
    ]
    // Order 0 would collapse contexts, so use V = 4, k = 1 with rows indexed by the last symbol.
    let chain = try MarkovChain(vocabularySize: 4, order: 1, transitions: transitions)
    // From 0 the mass goes to 1 w.p. 0.2/0.5 = 0.4 and to {2, 3} w.p. 0.6.
    let expected = [0, 0.25 + 0.25 * 0.4, (0.5 + 0.25 * 0.6) / 2, (0.5 + 0.25 * 0.6) / 2]
    #expect(zip(chain.stationary, expected).allSatisfy { abs($0 - $1) < 1e-14 }, "\(chain.stationary)")
    #expect(chain.entropyRate == 0)
    let (iterated, _) = try MarkovChain.powerIteration(
      transitions: transitions, vocabularySize: 4, contextCount: 4, tolerance: 1e-14, maxIterations: 10_000)
    #expect(zip(iterated, expected).allSatisfy { abs($0 - $1) < 1e-12 })
  }

  /// P(0 → 0) = 1 − 1e-150 rounds to 1, so a solve of (I − Q) sees a zero pivot; the restart
  /// chain does not, and all the mass ends in the absorbing context 1.
  @Test func leaksBelowRoundingStillDrainTransientContexts() throws {
    let chain = try MarkovChain(vocabularySize: 2, order: 1, transitions: [1 - 1e-150, 1e-150, 0, 1])
    #expect(chain.stationary == [0, 1])
    #expect(chain.entropyRate == 0)
  }

  @Test func largeChainsUsePowerIteration() throws {
    var random = stream(seed: 21)
    let chain = try MarkovChain.random(vocabularySize: 6, order: 4, concentration: 0.7, using: &random)
    #expect(chain.contextCount == 1296 && chain.contextCount > MarkovChain.exactSolveLimit)
    #expect(chain.stationaryResidual <= 1e-13)
    let error = dataError { () throws(DataError) in
      _ = try MarkovChain(vocabularySize: 6, order: 4, transitions: chain.transitions, maxIterations: 2)
    }
    if case .notConverged(let iterations, _)? = error?.kind {
      #expect(iterations == 2)
    } else {
      Issue.record("\(String(describing: error))")
    }
  }
}
