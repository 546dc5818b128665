import Randomness

/// A labelled collection of documents: what every source produces and every partitioner reads.
///
/// Invariants (checked by the initialiser): at least one document, at least one domain, and every
/// document's domain in `0..<domainNames.count`. A domain may have no documents when a caller builds
/// the corpus by hand; the readers never produce one.
public struct Corpus: Sendable, Equatable {
  public let documents: [Document]
  /// The name of each domain (a file name, a JSON label, `markov-3`, …), indexed by domain.
  public let domainNames: [String]

  /// - Parameter source: names the corpus in errors (a path or a label).
  /// - Throws: `.empty` without documents; `.invalidParameter` for a domain outside the names.
  public init(documents: [Document], domainNames: [String], source: String = "<corpus>")
    throws(DataError)
  {
    guard !documents.isEmpty else {
      throw DataError(source: source, kind: .empty, expected: "at least one document")
    }
    try DataError.require(
      !domainNames.isEmpty, source, "domainNames", "[]", expected: "at least one domain name")
    for (index, document) in documents.enumerated() where !domainNames.indices.contains(document.domain) {
      throw DataError.parameter(
        source, "documents[\(index)].domain", document.domain,
        expected: "a domain in 0..<\(domainNames.count)")
    }
    self.documents = documents
    self.domainNames = domainNames
  }

  public var documentCount: Int { documents.count }
  public var domainCount: Int { domainNames.count }

  /// The domain of every document, in document order (the input of a `Partitioner`).
  public var domains: [Int] { documents.map(\.domain) }

  /// The number of documents of each domain.
  public var documentCounts: [Int] {
    var counts = [Int](repeating: 0, count: domainCount)
    for document in documents { counts[document.domain] += 1 }
    return counts
  }

  /// The total number of tokens.
  public var tokenCount: Int { documents.reduce(0) { $0 + $1.tokens.count } }

  /// The indices of the documents of each domain, in increasing order.
  public var indicesByDomain: [[Int]] { groupByDomain(domains, domainCount: domainCount) }
}

/// The indices 0..<domains.count grouped by their label (labels must be in 0..<domainCount).
func groupByDomain(_ domains: [Int], domainCount: Int) -> [[Int]] {
  var groups = [[Int]](repeating: [], count: domainCount)
  for (index, domain) in domains.enumerated() { groups[domain].append(index) }
  return groups
}

extension Corpus {
  /// At most `count` documents of each domain, a uniformly random subset (drawn with the
  /// stream of `seed`), in corpus order: a smaller corpus with the same domains.
  public func sampled(documentsPerDomain count: Int, seed: UInt64) throws(DataError) -> Corpus {
    var byDomain = [[Int]](repeating: [], count: domainNames.count)
    for (index, document) in documents.enumerated() { byDomain[document.domain].append(index) }
    var kept: [Int] = []
    for (domain, indices) in byDomain.enumerated() {
      var pool = indices
      var stream = RandomStream(seed: seed, purpose: .data, client: UInt32(truncatingIfNeeded: domain), round: 0xC0DE)
      shuffle(&pool, using: &stream)
      kept += pool.prefix(count)
    }
    return try Corpus(documents: kept.sorted().map { documents[$0] }, domainNames: domainNames, source: "sampled corpus")
  }
}
