import Randomness

/// Label skew with k domains per client: client c holds domains c, c+1, …, c+k−1 (mod K), and the
/// documents of each domain are shuffled and dealt round-robin among the clients holding it.
///
/// Every domain held by some client is used entirely; with fewer than ⌈K/k⌉ clients some domains
/// are held by nobody and their documents stay unassigned. Each holder of a domain must receive at
/// least one of its documents. k = 1 is `DomainPerClientPartitioner`.
public struct DomainsPerClientPartitioner: Partitioner {
  public var domainsPerClient: Int

  public init(domainsPerClient: Int) { self.domainsPerClient = domainsPerClient }

  public var name: String { domainsPerClient == 1 ? "domain-per-client" : "domains-per-client" }

  public func partition(
    domains: [Int], domainCount: Int, clientCount: Int, using random: inout RandomStream
  ) throws(DataError) -> Partition {
    try validate(domains: domains, domainCount: domainCount, clientCount: clientCount)
    try DataError.require(
      domainsPerClient >= 1 && domainsPerClient <= domainCount, name, "domainsPerClient",
      domainsPerClient, expected: "a count in 1...\(domainCount) (the number of domains)")
    var holders = [[Int]](repeating: [], count: domainCount)
    for c in 0..<clientCount {
      for j in 0..<domainsPerClient { holders[(c + j) % domainCount].append(c) }
    }
    var clients = [[Int]](repeating: [], count: clientCount)
    for (d, var pool) in groupByDomain(domains, domainCount: domainCount).enumerated() {
      let holding = holders[d]
      guard !holding.isEmpty else { continue }
      guard pool.count >= holding.count else {
        throw DataError(
          source: name, text: "domain \(d)",
          kind: .insufficientDocuments(available: pool.count, needed: holding.count),
          expected: "at least one document for each of the \(holding.count) clients holding it")
      }
      shuffle(&pool, using: &random)
      for (position, index) in pool.enumerated() { clients[holding[position % holding.count]].append(index) }
    }
    return try Partition(clients: clients, documentCount: domains.count)
  }
}

/// The extreme label skew: client c holds only domain c mod K (see `DomainsPerClientPartitioner`
/// with k = 1). The documents of a domain are split evenly among its clients; with fewer clients
/// than domains, domains c ≥ clientCount are unused.
public struct DomainPerClientPartitioner: Partitioner {
  public init() {}

  public var name: String { "domain-per-client" }

  public func partition(
    domains: [Int], domainCount: Int, clientCount: Int, using random: inout RandomStream
  ) throws(DataError) -> Partition {
    try DomainsPerClientPartitioner(domainsPerClient: 1).partition(
      domains: domains, domainCount: domainCount, clientCount: clientCount, using: &random)
  }
}
