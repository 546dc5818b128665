import Randomness

/// Explicit domain mixtures: client c receives a quota of documents whose domains follow a given
/// weight vector (largest-remainder rounding), drawn without replacement from shuffled per-domain
/// pools.
///
/// Weights are either one vector per client, or a shared template rotated per client: with
/// template [0.75, 0.25], client c gets 75 % of domain c mod K and 25 % of domain (c+1) mod K.
/// Weights are non-negative and normalised per client.
///
/// The quota is the same for every client: `documentsPerClient`, or by default the largest one
/// for which no domain runs out. Documents not needed by any client stay unassigned.
public struct MixturePartitioner: Partitioner {
  /// Where the per-client weights come from.
  public enum Weights: Sendable, Equatable {
    /// One vector of K weights per client (as many vectors as clients).
    case perClient([[Double]])
    /// Client c's weight for domain (c + i) mod K is template[i]; length at most K.
    case template([Double])
  }

  public var weights: Weights
  /// Documents per client; nil picks the largest quota every domain can supply.
  public var documentsPerClient: Int?

  public init(weights: Weights, documentsPerClient: Int? = nil) {
    self.weights = weights
    self.documentsPerClient = documentsPerClient
  }

  public var name: String { "mixture" }

  public func partition(
    domains: [Int], domainCount: Int, clientCount: Int, using random: inout RandomStream
  ) throws(DataError) -> Partition {
    try validate(domains: domains, domainCount: domainCount, clientCount: clientCount)
    let mixtures = try clientWeights(domainCount: domainCount, clientCount: clientCount)
    var pools = DomainPools(domains: domains, domainCount: domainCount, using: &random)
    let sizes = pools.sizes
    let quota: Int
    if let requested = documentsPerClient {
      try DataError.require(requested >= 1, name, "documentsPerClient", requested, expected: "at least 1")
      if let (d, needed) = shortfall(quota: requested, mixtures: mixtures, sizes: sizes) {
        throw DataError(
          source: name, text: "domain \(d)", kind: .insufficientDocuments(available: sizes[d], needed: needed),
          expected: "enough documents for \(requested) per client (lower documentsPerClient)")
      }
      quota = requested
    } else {
      quota = try largestQuota(mixtures: mixtures, sizes: sizes, documentCount: domains.count)
    }
    var clients: [[Int]] = []
    for mixture in mixtures {
      var taken: [Int] = []
      for (d, count) in apportion(quota, weights: mixture).enumerated() where count > 0 {
        taken += pools.take(count, from: d)
      }
      clients.append(taken)
    }
    return try Partition(clients: clients, documentCount: domains.count)
  }

  /// The normalised weights of every client (K each).
  func clientWeights(domainCount K: Int, clientCount: Int) throws(DataError) -> [[Double]] {
    var mixtures: [[Double]] = []
    switch weights {
    case .perClient(let vectors):
      try DataError.require(
        vectors.count == clientCount, name, "weights.count", vectors.count,
        expected: "one weight vector per client (\(clientCount))")
      for (c, vector) in vectors.enumerated() {
        try DataError.require(
          vector.count == K, name, "weights[\(c)].count", vector.count, expected: "one weight per domain (\(K))")
        mixtures.append(vector)
      }
    case .template(let template):
      try DataError.require(
        !template.isEmpty && template.count <= K, name, "template.count", template.count,
        expected: "between 1 and the number of domains (\(K)) weights")
      for c in 0..<clientCount {
        var vector = [Double](repeating: 0, count: K)
        for (i, w) in template.enumerated() { vector[(c + i) % K] += w }
        mixtures.append(vector)
      }
    }
    for (c, vector) in mixtures.enumerated() {
      for (d, w) in vector.enumerated() {
        try DataError.require(
          w >= 0 && w.isFinite, name, "weights of client \(c), domain \(d)", w,
          expected: "a non-negative finite number")
      }
      let sum = vector.reduce(0, +)
      try DataError.require(sum > 0, name, "weights of client \(c)", "all zero", expected: "a positive sum")
      try DataError.require(
        sum.isFinite, name, "weights of client \(c)", "a sum of \(sum)", expected: "a finite sum (scale the weights down)")
      mixtures[c] = vector.map { $0 / sum }
    }
    return mixtures
  }

  /// The first domain whose documents do not cover `quota` per client, with the count needed.
  func shortfall(quota: Int, mixtures: [[Double]], sizes: [Int]) -> (Int, Int)? {
    var demand = [Int](repeating: 0, count: sizes.count)
    for mixture in mixtures {
      for (d, count) in apportion(quota, weights: mixture).enumerated() { demand[d] += count }
    }
    return sizes.indices.first { demand[$0] > sizes[$0] }.map { ($0, demand[$0]) }
  }

  /// The largest quota no domain runs out at: start from min_d n_d / Σ_c w_cd (the bound before
  /// rounding) and step down while rounding still over-asks some domain.
  func largestQuota(mixtures: [[Double]], sizes: [Int], documentCount: Int) throws(DataError) -> Int {
    var bound = Double(documentCount / mixtures.count)
    for d in sizes.indices {
      let demand = mixtures.reduce(0) { $0 + $1[d] }
      if demand > 0 { bound = min(bound, Double(sizes[d]) / demand) }
    }
    var quota = Int(bound.rounded(.down))
    while quota >= 1, shortfall(quota: quota, mixtures: mixtures, sizes: sizes) != nil { quota -= 1 }
    guard quota >= 1 else {
      let (d, needed) = shortfall(quota: 1, mixtures: mixtures, sizes: sizes) ?? (0, 1)
      throw DataError(
        source: name, text: "domain \(d)", kind: .insufficientDocuments(available: sizes[d], needed: needed),
        expected: "enough documents for one per client")
    }
    return quota
  }
}
