import Randomness

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// Quantity skew with IID content: client sizes follow a power law, documents are shuffled and cut
/// into consecutive slices of those sizes.
///
/// The clients are ranked by a random permutation; the client of rank r (1-based) has weight
/// r^(−exponent) (Zipf), and gets `minimumDocuments` plus its weight's share of the rest
/// (largest-remainder rounding). Exponent 0 gives equal sizes. Every document is used.
public struct QuantitySkewPartitioner: Partitioner {
  public var exponent: Double
  public var minimumDocuments: Int

  public init(exponent: Double, minimumDocuments: Int = 1) {
    self.exponent = exponent
    self.minimumDocuments = minimumDocuments
  }

  public var name: String { "quantity-skew" }

  public func partition(
    domains: [Int], domainCount: Int, clientCount: Int, using random: inout RandomStream
  ) throws(DataError) -> Partition {
    try validate(domains: domains, domainCount: domainCount, clientCount: clientCount)
    try DataError.require(
      exponent >= 0 && exponent.isFinite, name, "exponent", exponent, expected: "a non-negative finite number")
    try DataError.require(minimumDocuments >= 1, name, "minimumDocuments", minimumDocuments, expected: "at least 1")
    let floor = minimumDocuments * clientCount
    guard domains.count >= floor else {
      throw DataError(
        source: name, text: "the corpus", kind: .insufficientDocuments(available: domains.count, needed: floor),
        expected: "\(minimumDocuments) documents for each of \(clientCount) clients")
    }
    var ranks = Array(1...clientCount)
    shuffle(&ranks, using: &random)
    let weights = ranks.map { pow(Double($0), -exponent) }
    let sizes = apportion(domains.count - floor, weights: weights).map { $0 + minimumDocuments }
    var order = Array(domains.indices)
    shuffle(&order, using: &random)
    var clients: [[Int]] = []
    var next = 0
    for size in sizes {
      clients.append(Array(order[next..<next + size]))
      next += size
    }
    return try Partition(clients: clients, documentCount: domains.count)
  }
}
