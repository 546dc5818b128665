import Testing

@testable import Data

@Suite struct SplitTests {
  func checkDisjoint(_ splits: FederatedSplits, sharedEvaluation: Bool) {
    var seen = Set(splits.publicReference)
    #expect(seen.count == splits.publicReference.count)
    if sharedEvaluation {
      let shared = splits.sharedValidation + splits.sharedTest
      #expect(Set(shared).count == shared.count && seen.isDisjoint(with: shared))
      seen.formUnion(shared)
    }
    for client in splits.clients {
      let own = sharedEvaluation ? client.train : client.train + client.validation + client.test
      #expect(Set(client.train + client.validation + client.test).count == client.train.count + client.validation.count + client.test.count)
      #expect(seen.isDisjoint(with: own), "a document in two sets")
      seen.formUnion(own)
    }
    #expect(seen.union(splits.unused).count == splits.documentCount)
  }

  @Test func inDistributionSplitsAreDisjointAndDeterministic() throws {
    let corpus = try labelledCorpus([50, 30, 20])
    let configuration = SplitConfiguration(
      trainFraction: 0.7, validationFraction: 0.15, testFraction: 0.15, publicFraction: 0.1)
    let splits = try corpus.splits(clientCount: 4, partitioner: IIDPartitioner(), configuration: configuration, seed: 1)
    checkDisjoint(splits, sharedEvaluation: false)
    #expect(splits.publicReference.count == 10)
    // Stratified: 10 % of every domain.
    #expect(splits.publicReference.map { corpus.documents[$0].domain }.reduce(into: [0, 0, 0]) { $0[$1] += 1 } == [5, 3, 2])
    #expect(splits.unused.isEmpty)
    for client in splits.clients {
      let n = client.train.count + client.validation.count + client.test.count
      #expect(n >= 22 && n <= 23)
      #expect(client.validation.count >= 3 && client.test.count >= 3 && client.train.count >= 15)
    }
    #expect(try corpus.splits(clientCount: 4, partitioner: IIDPartitioner(), configuration: configuration, seed: 1) == splits)
    #expect(try corpus.splits(clientCount: 4, partitioner: IIDPartitioner(), configuration: configuration, seed: 2) != splits)
  }

  @Test func smallClientsStillGetEveryPart() throws {
    let corpus = try labelledCorpus([9])
    let splits = try corpus.splits(clientCount: 3, partitioner: IIDPartitioner(), seed: 3)
    #expect(splits.clients.allSatisfy { $0.train.count == 1 && $0.validation.count == 1 && $0.test.count == 1 })
    let error = dataError { () throws(DataError) in
      _ = try labelledCorpus([4]).splits(clientCount: 2, partitioner: IIDPartitioner(), seed: 3)
    }
    #expect(error?.kind == .insufficientDocuments(available: 2, needed: 3))
  }

  @Test func outOfDistributionUsesAUniformHeldOutPool() throws {
    let corpus = try labelledCorpus([100, 60, 40])
    let configuration = SplitConfiguration(
      trainFraction: 0.8, validationFraction: 0.06, testFraction: 0.09, target: .outOfDistribution)
    let splits = try corpus.splits(
      clientCount: 3, partitioner: DomainPerClientPartitioner(), configuration: configuration, seed: 4)
    checkDisjoint(splits, sharedEvaluation: true)
    let perDomain = { (indices: [Int]) in indices.map { corpus.documents[$0].domain }.reduce(into: [0, 0, 0]) { $0[$1] += 1 } }
    #expect(perDomain(splits.sharedValidation) == [4, 4, 4])  // ⌊0.06·200/3⌋
    #expect(perDomain(splits.sharedTest) == [6, 6, 6])
    for (c, client) in splits.clients.enumerated() {
      #expect(client.validation == splits.sharedValidation && client.test == splits.sharedTest)
      #expect(client.train.allSatisfy { corpus.documents[$0].domain == c })
    }
    // Each client keeps 0.8 / 0.85 of what it was dealt.
    #expect(splits.clients.map(\.train.count) == [85, 47, 28])
    let tooSmall = dataError { () throws(DataError) in
      _ = try labelledCorpus([100, 5]).splits(
        clientCount: 2, partitioner: IIDPartitioner(),
        configuration: SplitConfiguration(validationFraction: 0.1, testFraction: 0.1, target: .outOfDistribution),
        seed: 4)
    }
    #expect(tooSmall?.kind == .insufficientDocuments(available: 5, needed: 10))
  }

  @Test func configurationIsValidated() {
    for bad in [
      SplitConfiguration(trainFraction: 0), SplitConfiguration(trainFraction: 0.9, validationFraction: 0.2),
      SplitConfiguration(testFraction: -0.1), SplitConfiguration(publicFraction: 1),
    ] {
      #expect(throws: DataError.self) { try bad.validate() }
    }
    #expect(
      dataError { () throws(DataError) in try SplitConfiguration(trainFraction: 0.9, validationFraction: 0.2).validate() }?
        .description == "splits: trainFraction + validationFraction + testFraction = 1.2000000000000002, expected at most 1")
  }

  @Test func concatenatesASplitWithSeparators() throws {
    let corpus = try Corpus(
      documents: [Document(text: "ab", domain: 0), Document(text: "c", domain: 0), Document(text: "de", domain: 0)],
      domainNames: ["only"])
    #expect(corpus.concatenatedTokens([2, 0]) == [100, 101, 257, 97, 98])
    #expect(corpus.concatenatedTokens([0, 1], separator: 10, terminated: true) == [97, 98, 10, 99, 10])
    #expect(corpus.concatenatedTokens([0, 1], separator: nil) == [97, 98, 99])
    #expect(corpus.concatenatedTokens([]) == [])
    let splits = try corpus.splits(
      clientCount: 1, partitioner: IIDPartitioner(),
      configuration: SplitConfiguration(trainFraction: 1, validationFraction: 0, testFraction: 0), seed: 1)
    #expect(splits.clients[0].train == [0, 1, 2])
    #expect(corpus.tokens(of: .train, client: 0, in: splits) == [97, 98, 257, 99, 257, 100, 101])
    #expect(corpus.tokens(of: .test, client: 0, in: splits).isEmpty)
  }
}
