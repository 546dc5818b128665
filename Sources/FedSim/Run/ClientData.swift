import Data
import Foundation

/// Every client's token streams and the shared public set, built from the scenario's data section.
///
/// A rank of a distributed run holds the tokens of its own clients only (`build(…, holds:)`): the
/// others' streams are empty here, while their sizes (`trainCounts`, …) are known everywhere.
public struct ClientData: Sendable {
  public let train: [[Int32]]
  public let validation: [[Int32]]
  public let test: [[Int32]]
  /// Tokens of each client's splits, for every client (held or not).
  public let trainCounts: [Int]
  public let validationCounts: [Int]
  /// Per client, its test tokens of each domain (keyed by domain index), for every client.
  public let testTokensByDomain: [[Int: Int]]
  public let publicTokens: [Int32]
  public let domainNames: [String]
  /// Per client, its validation and test tokens of each domain present there (keyed by domain
  /// index): routing statistics per domain.
  public let validationByDomain: [[Int: [Int32]]]
  public let testByDomain: [[Int: [Int32]]]
  /// Exact entropy rates (nats per symbol) of synthetic sources, the floor of the loss.
  public let entropyRates: [Double]?

  /// Per client, the entropy-rate floor of its test loss: the token-weighted mean of the entropy
  /// rates of the domains its test text comes from (what a predictor that knew each token's
  /// domain and its chain could reach at best); nil without exact rates.
  public var testLossFloor: [Double]? {
    guard let rates = entropyRates else { return nil }
    return testTokensByDomain.map { domains in
      let tokens = domains.values.reduce(0, +)
      guard tokens > 0 else { return .nan }
      return domains.reduce(0.0) { $0 + rates[$1.key] * Double($1.value) } / Double(tokens)
    }
  }

  /// The documents `indices` grouped by domain, each group as one token sequence.
  static func byDomain(_ corpus: Corpus, _ indices: [Int]) -> [Int: [Int32]] {
    var groups: [Int: [Int]] = [:]
    for index in indices { groups[corpus.documents[index].domain, default: []].append(index) }
    return groups.mapValues { corpus.concatenatedTokens($0, terminated: true) }
  }

  /// The corpus, its split into clients (every rank computes the same), and the token streams of
  /// the clients `holds` names (every client by default).
  public static func build(
    _ section: DataSection, clients: Int, seed: UInt64, holds: (Int) -> Bool = { _ in true }
  ) throws(RunError) -> ClientData {
    do {
      let corpus: Corpus
      var entropy: [Double]? = nil
      switch section.source {
      case .markov(let domains, let vocabulary, let order, let concentration, let perDomain, let length):
        let source = try MarkovSource(
          domainCount: domains, vocabularySize: vocabulary, order: order, concentration: concentration, seed: seed)
        corpus = try source.corpus(documentsPerDomain: perDomain, documentLength: length)
        entropy = source.entropyRates
      case .textDirectory(let path, let perFolder):
        corpus = try TextDirectoryReader(domains: perFolder ? .perFolder : .perFile).read(directory: path)
      case .jsonLines(let path, let textField, let domainField):
        corpus = try JSONLinesReader(textField: textField, domainField: domainField).read(path: path)
      case .fortune(let paths, let perPath, let limit):
        let read = try FortuneReader(domainPerPath: perPath).read(paths: paths)
        corpus = try limit.map { try read.sampled(documentsPerDomain: $0, seed: seed) } ?? read
      case .decorQuadratic, .linear, .logistic:
        throw RunError.data("the \(section.source) source feeds the convex tasks, not the language model")
      }
      let configuration = SplitConfiguration(
        trainFraction: section.trainFraction, validationFraction: section.validationFraction, testFraction: section.testFraction,
        target: section.target == .inDistribution ? .inDistribution : .outOfDistribution, publicFraction: section.publicFraction)
      let splits: FederatedSplits
      switch section.partition {
      case .iid: splits = try corpus.splits(clientCount: clients, partitioner: IIDPartitioner(), configuration: configuration, seed: seed)
      case .domainPerClient:
        splits = try corpus.splits(
          clientCount: clients, partitioner: DomainPerClientPartitioner(), configuration: configuration, seed: seed)
      case .domainsPerClient(let k):
        splits = try corpus.splits(
          clientCount: clients, partitioner: DomainsPerClientPartitioner(domainsPerClient: k), configuration: configuration, seed: seed)
      case .dirichlet(let alpha):
        splits = try corpus.splits(
          clientCount: clients, partitioner: DirichletOverClientsPartitioner(alpha: alpha), configuration: configuration, seed: seed)
      case .mixture(let weights):
        splits = try corpus.splits(
          clientCount: clients, partitioner: MixturePartitioner(weights: .perClient(weights)), configuration: configuration, seed: seed)
      case .quantitySkew(let exponent, let minimum):
        splits = try corpus.splits(
          clientCount: clients, partitioner: QuantitySkewPartitioner(exponent: exponent, minimumDocuments: minimum),
          configuration: configuration, seed: seed)
      }
      func tokens(_ part: SplitPart, _ client: Int) -> [Int32] {
        holds(client) ? corpus.tokens(of: part, client: client, in: splits, terminated: true) : []
      }
      // A stream is its documents' tokens, each terminated by EOS.
      func count(_ part: SplitPart, _ client: Int) -> Int {
        splits.clients[client][part].reduce(0) { $0 + corpus.documents[$1].tokens.count + 1 }
      }
      let testByDomain = (0..<clients).map { holds($0) ? byDomain(corpus, splits.clients[$0][.test]) : [:] }
      return ClientData(
        train: (0..<clients).map { tokens(.train, $0) }, validation: (0..<clients).map { tokens(.validation, $0) },
        test: (0..<clients).map { tokens(.test, $0) },
        trainCounts: (0..<clients).map { count(.train, $0) }, validationCounts: (0..<clients).map { count(.validation, $0) },
        testTokensByDomain: (0..<clients).map { client in
          var counts: [Int: Int] = [:]
          for index in splits.clients[client][.test] {
            counts[corpus.documents[index].domain, default: 0] += corpus.documents[index].tokens.count + 1
          }
          return counts
        },
        publicTokens: corpus.concatenatedTokens(splits.publicReference, terminated: true),
        domainNames: corpus.domainNames,
        validationByDomain: (0..<clients).map { holds($0) ? byDomain(corpus, splits.clients[$0][.validation]) : [:] },
        testByDomain: testByDomain, entropyRates: entropy)
    } catch let error as RunError {
      throw error
    } catch let error as DataError {
      throw .data(error.description)
    } catch { throw .data("\(error)") }
  }
}
