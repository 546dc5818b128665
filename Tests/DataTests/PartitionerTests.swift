import Randomness
import Testing

@testable import Data

@Suite struct PartitionerTests {
  struct Case: Sendable, CustomTestStringConvertible {
    var partitioner: any Partitioner
    /// Whether this case promises to use every document.
    var usesAll: Bool
    var testDescription: String { partitioner.name }
  }

  /// 4 domains of unequal sizes (60 documents), 6 clients.
  static let sizes = [20, 15, 15, 10]
  static let clientCount = 6

  static let cases: [Case] = [
    Case(partitioner: IIDPartitioner(), usesAll: true),
    Case(partitioner: DomainPerClientPartitioner(), usesAll: true),
    Case(partitioner: DomainsPerClientPartitioner(domainsPerClient: 2), usesAll: true),
    Case(partitioner: DirichletOverClientsPartitioner(alpha: 0.5), usesAll: true),
    Case(partitioner: DirichletOverDomainsPartitioner(alpha: 0.5), usesAll: true),  // 60 = 6 × 10
    Case(partitioner: MixturePartitioner(weights: .template([0.75, 0.25])), usesAll: false),
    Case(partitioner: QuantitySkewPartitioner(exponent: 1.2, minimumDocuments: 2), usesAll: true),
  ]

  @Test(arguments: cases) func assignsEachDocumentAtMostOnceAndDeterministically(_ test: Case) throws {
    let corpus = try labelledCorpus(Self.sizes)
    let partition = try corpus.partition(test.partitioner, clientCount: Self.clientCount, seed: 5)
    #expect(partition.clientCount == Self.clientCount)
    let all = partition.clients.flatMap { $0 }
    #expect(Set(all).count == all.count, "a document assigned twice")
    #expect(all.allSatisfy { (0..<corpus.documentCount).contains($0) })
    #expect(partition.clients.allSatisfy { !$0.isEmpty && $0 == $0.sorted() })
    if test.usesAll {
      #expect(partition.assignsEveryDocument && partition.unassigned.isEmpty)
    }
    #expect(Set(all).union(partition.unassigned).count == corpus.documentCount)
    #expect(try corpus.partition(test.partitioner, clientCount: Self.clientCount, seed: 5) == partition)
    #expect(try corpus.partition(test.partitioner, clientCount: Self.clientCount, seed: 6) != partition)
  }

  @Test func iidDealsEvenly() throws {
    let partition = try labelledCorpus([10, 7]).partition(IIDPartitioner(), clientCount: 5, seed: 1)
    #expect(partition.sizes.sorted() == [3, 3, 3, 4, 4])
  }

  @Test func domainPerClientGivesClientCDomainCModK() throws {
    let corpus = try labelledCorpus([7, 4, 6])
    let partition = try corpus.partition(DomainPerClientPartitioner(), clientCount: 5, seed: 2)
    for (c, indices) in partition.clients.enumerated() {
      #expect(indices.allSatisfy { corpus.documents[$0].domain == c % 3 })
    }
    // Domain 0's 7 documents split 4/3 (clients 0, 3), domain 1's 4 split 2/2 (clients 1, 4),
    // domain 2's 6 all to client 2.
    #expect(partition.sizes == [4, 2, 6, 3, 2])
    // Fewer clients than domains: the remaining domains stay unused.
    let few = try corpus.partition(DomainPerClientPartitioner(), clientCount: 2, seed: 2)
    #expect(few.unassigned == Array(11..<17) && !few.assignsEveryDocument)
    let tooMany = dataError { () throws(DataError) in
      _ = try labelledCorpus([2, 2]).partition(DomainPerClientPartitioner(), clientCount: 6, seed: 1)
    }
    #expect(
      tooMany?.description == "domain-per-client: domain 0 has 2 documents but 3 are needed, "
        + "expected at least one document for each of the 3 clients holding it")
  }

  @Test func kDomainsPerClientHoldsAWindowOfDomains() throws {
    let corpus = try labelledCorpus([8, 8, 8, 8])
    let partition = try corpus.partition(DomainsPerClientPartitioner(domainsPerClient: 2), clientCount: 4, seed: 3)
    for (c, indices) in partition.clients.enumerated() {
      #expect(Set(indices.map { corpus.documents[$0].domain }) == [c, (c + 1) % 4])
      #expect(indices.count == 8)
    }
    #expect(throws: DataError.self) {
      try corpus.partition(DomainsPerClientPartitioner(domainsPerClient: 5), clientCount: 4, seed: 3)
    }
  }

  @Test func dirichletOverClientsSkewsWithSmallAlpha() throws {
    let corpus = try labelledCorpus([200, 200, 200, 200])
    func meanDominantShare(_ alpha: Double) throws -> Double {
      let partition = try corpus.partition(DirichletOverClientsPartitioner(alpha: alpha), clientCount: 8, seed: 4)
      var total = 0.0
      for indices in partition.clients {
        var counts = [0, 0, 0, 0]
        for i in indices { counts[corpus.documents[i].domain] += 1 }
        total += Double(counts.max() ?? 0) / Double(indices.count)
      }
      return total / 8
    }
    let skewed = try meanDominantShare(0.05)
    let mixed = try meanDominantShare(1000)
    #expect(skewed > 0.8, "share \(skewed)")
    #expect(mixed < 0.35, "share \(mixed)")
    let impossible = dataError { () throws(DataError) in
      _ = try corpus.partition(
        DirichletOverClientsPartitioner(alpha: 0.01, minimumDocumentsPerClient: 90, maxAttempts: 3), clientCount: 8,
        seed: 4)
    }
    #expect(impossible?.kind == .attemptsExhausted(attempts: 3))
  }

  @Test func dirichletOverDomainsFillsQuotas() throws {
    let corpus = try labelledCorpus([30, 30, 30])
    let partitioner = DirichletOverDomainsPartitioner(concentration: .vector([5, 1, 0.5]), documentsPerClient: 9)
    let partition = try corpus.partition(partitioner, clientCount: 10, seed: 9)
    #expect(partition.sizes == [Int](repeating: 9, count: 10))
    #expect(partition.unassigned.count == 0)
    #expect(throws: DataError.self) {
      try corpus.partition(DirichletOverDomainsPartitioner(alpha: 1, documentsPerClient: 10), clientCount: 10, seed: 9)
    }
    #expect(throws: DataError.self) {
      try corpus.partition(DirichletOverDomainsPartitioner(concentration: .vector([1, 1])), clientCount: 3, seed: 9)
    }
  }

  @Test func mixturesFollowTheirWeights() throws {
    let corpus = try labelledCorpus([40, 40])
    let template = try corpus.partition(MixturePartitioner(weights: .template([0.75, 0.25])), clientCount: 2, seed: 1)
    // The largest quota: each domain supplies 0.75 + 0.25 per unit, so 40 per client.
    #expect(template.sizes == [40, 40] && template.assignsEveryDocument)
    for (c, indices) in template.clients.enumerated() {
      #expect(indices.filter { corpus.documents[$0].domain == c }.count == 30)
    }
    let explicit = MixturePartitioner(weights: .perClient([[1, 0], [0.5, 0.5], [0, 3]]), documentsPerClient: 10)
    let partition = try corpus.partition(explicit, clientCount: 3, seed: 1)
    let domainCounts = partition.clients.map { indices in [0, 1].map { d in indices.filter { corpus.documents[$0].domain == d }.count } }
    #expect(domainCounts == [[10, 0], [5, 5], [0, 10]])
    #expect(partition.unassigned.count == 50)
    let tooBig = dataError { () throws(DataError) in
      _ = try corpus.partition(
        MixturePartitioner(weights: .perClient([[1, 0], [1, 0]]), documentsPerClient: 21), clientCount: 2, seed: 1)
    }
    #expect(
      tooBig?.description == "mixture: domain 0 has 40 documents but 42 are needed, "
        + "expected enough documents for 21 per client (lower documentsPerClient)")
    #expect(throws: DataError.self) {
      try corpus.partition(MixturePartitioner(weights: .perClient([[1, 0]])), clientCount: 2, seed: 1)
    }
    #expect(throws: DataError.self) {
      try corpus.partition(MixturePartitioner(weights: .template([1, -1])), clientCount: 2, seed: 1)
    }
  }

  @Test func quantitySkewFollowsAPowerLaw() throws {
    let corpus = try labelledCorpus([500])
    let partitioner = QuantitySkewPartitioner(exponent: 1, minimumDocuments: 5)
    let partition = try corpus.partition(partitioner, clientCount: 5, seed: 2)
    let sizes = partition.sizes.sorted(by: >)
    #expect(partition.sizes.reduce(0, +) == 500 && sizes.last ?? 0 >= 5)
    // Shares of the 475 above the minimum ∝ 1, 1/2, 1/3, 1/4, 1/5 (sum 137/60).
    let harmonic: [Double] = [1, 1.0 / 2, 1.0 / 3, 1.0 / 4, 1.0 / 5]
    let expected: [Double] = harmonic.map { (w: Double) -> Double in 5 + 475 * w * 60 / 137 }
    #expect(zip(sizes, expected).allSatisfy { abs(Double($0) - $1) < 1 })
    let flat = try corpus.partition(QuantitySkewPartitioner(exponent: 0), clientCount: 5, seed: 2)
    #expect(flat.sizes == [100, 100, 100, 100, 100])
    #expect(throws: DataError.self) {
      try corpus.partition(QuantitySkewPartitioner(exponent: 1, minimumDocuments: 101), clientCount: 5, seed: 2)
    }
  }

  @Test func commonInputsAreValidated() throws {
    var random = stream()
    #expect(throws: DataError.self) {
      try IIDPartitioner().partition(domains: [0, 1], domainCount: 2, clientCount: 0, using: &random)
    }
    #expect(throws: DataError.self) {
      try IIDPartitioner().partition(domains: [0, 2], domainCount: 2, clientCount: 1, using: &random)
    }
    #expect(throws: DataError.self) {
      try IIDPartitioner().partition(domains: [], domainCount: 2, clientCount: 1, using: &random)
    }
    #expect(throws: DataError.self) { try Partition(clients: [[0, 1], [1]], documentCount: 2) }
    #expect(throws: DataError.self) { try Partition(clients: [[2]], documentCount: 2) }
  }
}
