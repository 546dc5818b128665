import Randomness

/// The standard Dirichlet label-skew partition (Hsu, Qi & Brown, "Measuring the effects of
/// non-identical data distribution for federated visual classification", 2019): for each domain
/// d, draw client proportions q_d ~ Dir(α·1_N) over the N clients and deal the domain's shuffled
/// documents in those proportions (largest-remainder rounding).
///
/// Small α concentrates each domain on few clients (strong skew); large α approaches the IID
/// split. Client sizes vary. Every document is used. A draw in which some client gets fewer than
/// `minimumDocumentsPerClient` documents is discarded and redrawn from the continuing stream, at
/// most `maxAttempts` draws in all — the usual practice of reference implementations.
///
/// `DirichletOverDomainsPartitioner` is the other variant (per-client proportions over domains).
public struct DirichletOverClientsPartitioner: Partitioner {
  public var alpha: Double
  public var minimumDocumentsPerClient: Int
  public var maxAttempts: Int

  public init(alpha: Double, minimumDocumentsPerClient: Int = 1, maxAttempts: Int = 100) {
    self.alpha = alpha
    self.minimumDocumentsPerClient = minimumDocumentsPerClient
    self.maxAttempts = maxAttempts
  }

  public var name: String { "dirichlet-over-clients" }

  public func partition(
    domains: [Int], domainCount: Int, clientCount: Int, using random: inout RandomStream
  ) throws(DataError) -> Partition {
    try validate(domains: domains, domainCount: domainCount, clientCount: clientCount)
    try DataError.require(
      alpha >= Dirichlet.smallestConcentration && alpha.isFinite, name, "alpha", alpha, expected: "a finite number ≥ 1e-300")
    try DataError.require(
      minimumDocumentsPerClient >= 0, name, "minimumDocumentsPerClient", minimumDocumentsPerClient,
      expected: "at least 0")
    try DataError.require(maxAttempts >= 1, name, "maxAttempts", maxAttempts, expected: "at least 1")
    let needed = minimumDocumentsPerClient * clientCount
    guard domains.count >= needed else {
      throw DataError(
        source: name, text: "the corpus", kind: .insufficientDocuments(available: domains.count, needed: needed),
        expected: "\(minimumDocumentsPerClient) documents for each of \(clientCount) clients")
    }
    let pools = groupByDomain(domains, domainCount: domainCount)
    let alphas = [Double](repeating: alpha, count: clientCount)
    for _ in 0..<maxAttempts {
      var clients = [[Int]](repeating: [], count: clientCount)
      for var pool in pools where !pool.isEmpty {
        shuffle(&pool, using: &random)
        let proportions = Dirichlet.unchecked(concentrations: alphas, using: &random)
        var next = 0
        for (c, count) in apportion(pool.count, weights: proportions).enumerated() {
          clients[c] += pool[next..<next + count]
          next += count
        }
      }
      if clients.allSatisfy({ $0.count >= minimumDocumentsPerClient }) {
        return try Partition(clients: clients, documentCount: domains.count)
      }
    }
    throw DataError(
      source: name, kind: .attemptsExhausted(attempts: maxAttempts),
      expected: "every client with at least \(minimumDocumentsPerClient) documents "
        + "(raise alpha, lower the minimum or use fewer clients)")
  }
}
