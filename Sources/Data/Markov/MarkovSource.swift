import Randomness

/// A synthetic multi-domain corpus: K domains, each its own random order-k Markov chain over V
/// symbols (rows drawn from Dirichlet(concentration), see `MarkovChain.random`), with known
/// entropy rates — the loss floor a model of each domain can reach.
///
/// Everything is a function of the seed: domain d's chain comes from the stream
/// (seed, `.markovChain`, client: d) and its document i from (seed, `.markovText`, client: d,
/// step: i), so a document does not depend on how many others are generated.
public struct MarkovSource: Sendable {
  public let chains: [MarkovChain]
  /// How symbols become tokens.
  public let alphabet: MarkovAlphabet
  public let seed: UInt64

  /// K random chains sharing V, k and the concentration.
  ///
  /// - Parameter alphabet: nil picks `MarkovAlphabet.smallest(for: vocabularySize)` (letters for
  ///   V ≤ 26).
  /// - Throws: `.invalidParameter` for K < 1 or an alphabet too small for V; the chain errors.
  public init(
    domainCount: Int, vocabularySize: Int, order: Int, concentration: Double,
    alphabet: MarkovAlphabet? = nil, seed: UInt64
  ) throws(DataError) {
    try DataError.require(domainCount >= 1, "markov", "domains", domainCount, expected: "at least 1")
    var chains: [MarkovChain] = []
    for d in 0..<domainCount {
      var random = RandomStream(seed: seed, purpose: .markovChain, client: UInt32(truncatingIfNeeded: d))
      chains.append(
        try MarkovChain.random(
          vocabularySize: vocabularySize, order: order, concentration: concentration, using: &random))
    }
    try self.init(chains: chains, alphabet: alphabet, seed: seed)
  }

  /// A source over given chains (all of one vocabulary size and order).
  public init(chains: [MarkovChain], alphabet: MarkovAlphabet? = nil, seed: UInt64) throws(DataError) {
    try DataError.require(!chains.isEmpty, "markov", "chains", "[]", expected: "at least one chain")
    let V = chains[0].vocabularySize
    for (d, chain) in chains.enumerated() {
      try DataError.require(
        chain.vocabularySize == V, "markov", "chains[\(d)].vocabularySize", chain.vocabularySize,
        expected: "the vocabulary size of chain 0 (\(V))")
      try DataError.require(
        chain.order == chains[0].order, "markov", "chains[\(d)].order", chain.order,
        expected: "the order of chain 0 (\(chains[0].order))")
    }
    let alphabet = alphabet ?? .smallest(for: V)
    try DataError.require(
      V <= alphabet.capacity, "markov", "alphabet", alphabet.rawValue,
      expected: "an alphabet of at least \(V) symbols")
    self.chains = chains
    self.alphabet = alphabet
    self.seed = seed
  }

  public var domainCount: Int { chains.count }
  public var vocabularySize: Int { chains[0].vocabularySize }

  /// `markov-0`, `markov-1`, …
  public var domainNames: [String] { chains.indices.map { "markov-\($0)" } }

  /// The exact entropy rate of each domain, in nats per symbol.
  public var entropyRates: [Double] { chains.map(\.entropyRate) }

  /// Document `index` of `domain` (in 0..<domainCount): `length` symbols of a stationary run, as
  /// tokens.
  public func document(domain: Int, index: Int, length: Int) -> Document {
    var random = stream(.markovText, domain: domain, index: index)
    let symbols = chains[domain].sample(length: length, using: &random)
    return Document(tokens: symbols.map(alphabet.token(for:)), domain: domain)
  }

  /// `documentsPerDomain` documents of `documentLength` tokens from every domain, domain-major
  /// (all of domain 0, then domain 1, …).
  ///
  /// - Throws: `.invalidParameter` for fewer than one document, or a length below max(1, k).
  public func corpus(documentsPerDomain: Int, documentLength: Int) throws(DataError) -> Corpus {
    try DataError.require(
      documentsPerDomain >= 1, "markov", "documentsPerDomain", documentsPerDomain,
      expected: "at least 1")
    let order = chains[0].order
    try DataError.require(
      documentLength >= max(1, order), "markov", "documentLength", documentLength,
      expected: "at least max(1, order) = \(max(1, order))")
    var documents: [Document] = []
    documents.reserveCapacity(domainCount * documentsPerDomain)
    for d in 0..<domainCount {
      for i in 0..<documentsPerDomain {
        documents.append(document(domain: d, index: i, length: documentLength))
      }
    }
    return try Corpus(documents: documents, domainNames: domainNames, source: "markov")
  }

  /// Symbols of a document back from its tokens (nil if a token is not in the alphabet).
  public func symbols(of document: Document) -> [Int]? {
    var symbols: [Int] = []
    symbols.reserveCapacity(document.tokens.count)
    for token in document.tokens {
      guard let s = alphabet.symbol(for: token, vocabularySize: vocabularySize) else { return nil }
      symbols.append(s)
    }
    return symbols
  }

  func stream(_ purpose: StreamPurpose, domain: Int, index: Int) -> RandomStream {
    RandomStream(
      seed: seed, purpose: purpose, client: UInt32(truncatingIfNeeded: domain),
      step: UInt32(truncatingIfNeeded: index))
  }
}
