import Randomness

/// A strategy that assigns labelled documents to clients.
///
/// Conformers are value types holding their parameters; `partition` is deterministic given the
/// stream. Each conformer documents whether every document is used. Write your own by conforming
/// a struct; nothing needs registering in this module.
public protocol Partitioner: Sendable {
  /// A short name for messages and logs (`iid`, `dirichlet-over-clients`).
  var name: String { get }

  /// Assigns documents to `clientCount` clients.
  ///
  /// - Parameters:
  ///   - domains: the domain of each document (the document index is the position).
  ///   - domainCount: K; every label is in 0..<K.
  /// - Throws: `DataError` for invalid parameters or when the documents cannot satisfy them.
  func partition(
    domains: [Int], domainCount: Int, clientCount: Int, using random: inout RandomStream
  ) throws(DataError) -> Partition
}

extension Partitioner {
  /// Checks the common inputs: at least one document and one client, labels in 0..<K.
  func validate(domains: [Int], domainCount: Int, clientCount: Int) throws(DataError) {
    try DataError.require(clientCount >= 1, name, "clients", clientCount, expected: "at least 1")
    try DataError.require(domainCount >= 1, name, "domains", domainCount, expected: "at least 1")
    guard !domains.isEmpty else {
      throw DataError(source: name, kind: .empty, expected: "at least one document to partition")
    }
    for (index, d) in domains.enumerated() where d < 0 || d >= domainCount {
      throw DataError.parameter(name, "domain of document \(index)", d, expected: "a domain in 0..<\(domainCount)")
    }
  }

  /// Throws unless every client has at least `minimum` documents.
  func requireMinimum(_ clients: [[Int]], _ minimum: Int) throws(DataError) {
    for (c, indices) in clients.enumerated() where indices.count < minimum {
      throw DataError(
        source: name, text: "client \(c)",
        kind: .insufficientDocuments(available: indices.count, needed: minimum),
        expected: "more documents or fewer clients")
    }
  }
}

extension Corpus {
  /// Partitions this corpus's documents with the stream (seed, `.partition`).
  public func partition(_ partitioner: some Partitioner, clientCount: Int, seed: UInt64) throws(DataError)
    -> Partition
  {
    var random = RandomStream(seed: seed, purpose: .partition)
    return try partitioner.partition(
      domains: domains, domainCount: domainCount, clientCount: clientCount, using: &random)
  }
}
