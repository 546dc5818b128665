import Randomness

/// A corpus divided for a federated run: a public reference set, then clients' documents (from a
/// `Partitioner`), each divided into train/validation/test.
///
/// The steps, each from its own stream so that changing one never shifts another:
/// 1. Public reference set: `publicFraction` of the corpus, stratified by domain
///    (stream (seed, `.dataSplit`, round 0)).
/// 2. Out-of-distribution only: a held-out pool with ⌊validation·N′/K⌋ validation and
///    ⌊test·N′/K⌋ test documents from every domain (N′ = documents left after step 1), shared by
///    all clients (stream round 1).
/// 3. The rest is partitioned (stream (seed, `.partition`), as `Corpus.partition`).
/// 4. Each client's documents are shuffled (stream client c, round 2) and cut by the fractions
///    (largest-remainder rounding; a part with a positive fraction gets at least one document).
///
/// All sets are disjoint; `unused` lists the documents in none of them.
public struct FederatedSplits: Sendable, Equatable {
  public let clients: [ClientSplit]
  /// The public reference set (empty when `publicFraction` is 0).
  public let publicReference: [Int]
  /// Out-of-distribution: the validation and test sets every client shares; in-distribution: empty.
  public let sharedValidation: [Int]
  public let sharedTest: [Int]
  public let documentCount: Int

  /// - Throws: the configuration's and the partitioner's errors; `.insufficientDocuments` when a
  ///   set would be empty or a domain cannot supply the held-out pool.
  public init(
    domains: [Int], domainCount: Int, clientCount: Int, partitioner: some Partitioner,
    configuration: SplitConfiguration, seed: UInt64
  ) throws(DataError) {
    try configuration.validate()
    try DataError.require(domainCount >= 1, "splits", "domains", domainCount, expected: "at least 1")
    for (index, d) in domains.enumerated() where d < 0 || d >= domainCount {
      throw DataError.parameter("splits", "domain of document \(index)", d, expected: "a domain in 0..<\(domainCount)")
    }
    var pools = groupByDomain(domains, domainCount: domainCount)

    var random = RandomStream(seed: seed, purpose: .dataSplit, round: 0)
    publicReference = try Self.holdOutPublic(&pools, fraction: configuration.publicFraction, using: &random)

    random = RandomStream(seed: seed, purpose: .dataSplit, round: 1)
    (sharedValidation, sharedTest) =
      configuration.target == .outOfDistribution
      ? try Self.holdOutUniform(&pools, configuration, using: &random) : ([], [])

    let remaining = pools.joined().sorted()
    var partitionRandom = RandomStream(seed: seed, purpose: .partition)
    let partition = try partitioner.partition(
      domains: remaining.map { domains[$0] }, domainCount: domainCount, clientCount: clientCount,
      using: &partitionRandom
    ).mapped(through: remaining, documentCount: domains.count)

    var clients: [ClientSplit] = []
    for (c, documents) in partition.clients.enumerated() {
      var own = documents
      var clientRandom = RandomStream(
        seed: seed, purpose: .dataSplit, client: UInt32(truncatingIfNeeded: c), round: 2)
      shuffle(&own, using: &clientRandom)
      clients.append(try Self.split(own, client: c, configuration, sharedValidation, sharedTest))
    }
    self.clients = clients
    self.documentCount = domains.count
  }

  /// Every document in no set, in increasing order.
  public var unused: [Int] {
    var used = [Bool](repeating: false, count: documentCount)
    for index in publicReference + sharedValidation + sharedTest { used[index] = true }
    for client in clients {
      for index in client.train + client.validation + client.test { used[index] = true }
    }
    return used.indices.filter { !used[$0] }
  }

  // MARK: Steps

  private static func holdOutPublic(_ pools: inout [[Int]], fraction: Double, using random: inout RandomStream)
    throws(DataError) -> [Int]
  {
    guard fraction > 0 else { return [] }
    let total = pools.reduce(0) { $0 + $1.count }
    let count = Int((fraction * Double(total)).rounded())
    guard count >= 1 else {
      throw DataError(
        source: "splits", text: "the corpus", kind: .insufficientDocuments(available: total, needed: Int((1 / fraction).rounded(.up))),
        expected: "a public set of at least one document (publicFraction = \(fraction))")
    }
    var held: [Int] = []
    for (d, share) in apportion(count, weights: pools.map { Double($0.count) }).enumerated() {
      shuffle(&pools[d], using: &random)
      held += pools[d].prefix(share)
      pools[d].removeFirst(share)
    }
    return held.sorted()
  }

  private static func holdOutUniform(
    _ pools: inout [[Int]], _ configuration: SplitConfiguration, using random: inout RandomStream
  ) throws(DataError) -> ([Int], [Int]) {
    let total = pools.reduce(0) { $0 + $1.count }
    let domainCount = Double(pools.count)
    let perDomain = { (fraction: Double) -> Int in Int((fraction * Double(total) / domainCount).rounded(.down)) }
    let validation = perDomain(configuration.validationFraction)
    let test = perDomain(configuration.testFraction)
    for (part, fraction, count) in [
      ("validation", configuration.validationFraction, validation), ("test", configuration.testFraction, test),
    ]
    where fraction > 0 && count == 0 {
      throw DataError(
        source: "splits", text: "the corpus",
        kind: .insufficientDocuments(available: total, needed: Int((Double(pools.count) / fraction).rounded(.up))),
        expected: "an out-of-distribution \(part) set with one document per domain")
    }
    var validationSet: [Int] = [], testSet: [Int] = []
    for d in pools.indices {
      guard pools[d].count >= validation + test else {
        throw DataError(
          source: "splits", text: "domain \(d)",
          kind: .insufficientDocuments(available: pools[d].count, needed: validation + test),
          expected: "an equal share of every domain in the out-of-distribution pool (lower the fractions)")
      }
      shuffle(&pools[d], using: &random)
      validationSet += pools[d][0..<validation]
      testSet += pools[d][validation..<validation + test]
      pools[d].removeFirst(validation + test)
    }
    return (validationSet.sorted(), testSet.sorted())
  }

  private static func split(
    _ documents: [Int], client: Int, _ configuration: SplitConfiguration, _ sharedValidation: [Int],
    _ sharedTest: [Int]
  ) throws(DataError) -> ClientSplit {
    let n = documents.count
    let insufficient = { (needed: Int) in
      DataError(
        source: "splits", text: "client \(client)", kind: .insufficientDocuments(available: n, needed: needed),
        expected: "one document for every part with a positive fraction (use fewer clients or a "
          + "partitioner with a minimum)")
    }
    if configuration.target == .outOfDistribution {
      guard n >= 1 else { throw insufficient(1) }
      let own = 1 - configuration.validationFraction - configuration.testFraction
      let share = own <= 0 ? 1 : min(1, configuration.trainFraction / own)
      let count = max(1, min(n, Int((Double(n) * share).rounded())))
      return ClientSplit(train: documents[0..<count].sorted(), validation: sharedValidation, test: sharedTest)
    }
    let fractions = [configuration.trainFraction, configuration.validationFraction, configuration.testFraction]
    let rest = max(0, 1 - fractions.reduce(0, +))
    let needed = fractions.filter { $0 > 0 }.count
    guard n >= needed else { throw insufficient(needed) }
    var counts = apportion(n, weights: fractions + [rest > 1e-12 ? rest : 0])
    for part in [1, 2, 0] where fractions[part] > 0 && counts[part] == 0 {
      // Take one document from the unused rest if there is any, else from the largest part.
      let donor = counts[3] > 0 ? 3 : (0..<3).max { counts[$0] < counts[$1] } ?? 0
      counts[donor] -= 1
      counts[part] = 1
    }
    let trainEnd = counts[0], validationEnd = trainEnd + counts[1]
    return ClientSplit(
      train: documents[0..<trainEnd].sorted(),
      validation: documents[trainEnd..<validationEnd].sorted(),
      test: documents[validationEnd..<validationEnd + counts[2]].sorted())
  }
}

extension Corpus {
  /// Divides this corpus for `clientCount` clients (see `FederatedSplits`).
  public func splits(
    clientCount: Int, partitioner: some Partitioner, configuration: SplitConfiguration = SplitConfiguration(),
    seed: UInt64
  ) throws(DataError) -> FederatedSplits {
    try FederatedSplits(
      domains: domains, domainCount: domainCount, clientCount: clientCount, partitioner: partitioner,
      configuration: configuration, seed: seed)
  }
}
