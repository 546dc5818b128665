import Randomness

/// The per-client Dirichlet variant: every client draws its own domain proportions
/// p_c ~ Dir(α) over the K domains and fills a quota of documents in those proportions from
/// shuffled per-domain pools, without replacement, clients in order 0, 1, ….
///
/// When a domain runs out, the client's shortfall is taken from the domains that still have
/// documents, in proportion to its remaining weights, so later clients may drift from their
/// draws when the corpus is tight. Documents beyond clientCount × quota stay unassigned (with the
/// default quota ⌊N / clients⌋, at most clients − 1 of them).
///
/// The standard variant, with proportions over clients per domain, is
/// `DirichletOverClientsPartitioner`.
public struct DirichletOverDomainsPartitioner: Partitioner {
  /// The Dirichlet parameter over domains.
  public enum Concentration: Sendable, Equatable {
    /// Dir(α·1_K).
    case symmetric(Double)
    /// Dir(α₁, …, α_K); the vector's length must be K.
    case vector([Double])
  }

  public var concentration: Concentration
  /// Documents per client; nil means ⌊N / clients⌋.
  public var documentsPerClient: Int?

  public init(concentration: Concentration, documentsPerClient: Int? = nil) {
    self.concentration = concentration
    self.documentsPerClient = documentsPerClient
  }

  /// Symmetric Dir(α·1_K).
  public init(alpha: Double, documentsPerClient: Int? = nil) {
    self.init(concentration: .symmetric(alpha), documentsPerClient: documentsPerClient)
  }

  public var name: String { "dirichlet-over-domains" }

  public func partition(
    domains: [Int], domainCount: Int, clientCount: Int, using random: inout RandomStream
  ) throws(DataError) -> Partition {
    try validate(domains: domains, domainCount: domainCount, clientCount: clientCount)
    let alphas: [Double]
    switch concentration {
    case .symmetric(let alpha): alphas = [Double](repeating: alpha, count: domainCount)
    case .vector(let vector):
      try DataError.require(
        vector.count == domainCount, name, "concentration.count", vector.count,
        expected: "one value per domain (\(domainCount))")
      alphas = vector
    }
    for (d, alpha) in alphas.enumerated() {
      try DataError.require(
        alpha >= Dirichlet.smallestConcentration && alpha.isFinite, name, "concentration[\(d)]", alpha,
        expected: "a finite number ≥ 1e-300")
    }
    let quota = try resolvedQuota(documentCount: domains.count, clientCount: clientCount)
    var pools = DomainPools(domains: domains, domainCount: domainCount, using: &random)
    var clients: [[Int]] = []
    for _ in 0..<clientCount {
      let proportions = Dirichlet.unchecked(concentrations: alphas, using: &random)
      clients.append(pools.fill(quota: quota, weights: proportions))
    }
    return try Partition(clients: clients, documentCount: domains.count)
  }

  func resolvedQuota(documentCount: Int, clientCount: Int) throws(DataError) -> Int {
    let quota = documentsPerClient ?? documentCount / clientCount
    try DataError.require(quota >= 1, name, "documentsPerClient", quota, expected: "at least 1")
    guard quota * clientCount <= documentCount else {
      throw DataError(
        source: name, text: "the corpus",
        kind: .insufficientDocuments(available: documentCount, needed: quota * clientCount),
        expected: "\(quota) documents for each of \(clientCount) clients")
    }
    return quota
  }
}
