import Randomness

/// The IID baseline: all documents shuffled and dealt round-robin, so client sizes differ by at
/// most one and each client's domain mix matches the corpus in expectation. Every document is
/// used; there must be at least as many documents as clients.
public struct IIDPartitioner: Partitioner {
  public init() {}

  public var name: String { "iid" }

  public func partition(
    domains: [Int], domainCount: Int, clientCount: Int, using random: inout RandomStream
  ) throws(DataError) -> Partition {
    try validate(domains: domains, domainCount: domainCount, clientCount: clientCount)
    var order = Array(domains.indices)
    shuffle(&order, using: &random)
    var clients = [[Int]](repeating: [], count: clientCount)
    for (position, index) in order.enumerated() { clients[position % clientCount].append(index) }
    try requireMinimum(clients, 1)
    return try Partition(clients: clients, documentCount: domains.count)
  }
}
