import Data
import Foundation

/// Every client's token streams and the shared public set, built from the scenario's data section.
public struct ClientData: Sendable {
  public let train: [[Int32]]
  public let validation: [[Int32]]
  public let test: [[Int32]]
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
    return testByDomain.map { domains in
      let tokens = domains.values.reduce(0) { $0 + $1.count }
      guard tokens > 0 else { return .nan }
      return domains.reduce(0.0) { $0 + rates[$1.key] * Double($1.value.count) } / Double(tokens)
    }
  }

  /// The documents `indices` grouped by domain, each group as one token sequence.
  static func byDomain(_ corpus: Corpus, _ indices: [Int]) -> [Int: [Int32]] {
    var groups: [Int: [Int]] = [:]
    for index in indices { groups[corpus.documents[index].domain, default: []].append(index) }
    return groups.mapValues { corpus.concatenatedTokens($0, terminated: true) }
  }

  public static func build(_ section: DataSection, clients: Int, seed: UInt64) throws(RunError) -> ClientData {
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
      return ClientData(
        train: (0..<clients).map { corpus.tokens(of: .train, client: $0, in: splits, terminated: true) },
        validation: (0..<clients).map { corpus.tokens(of: .validation, client: $0, in: splits, terminated: true) },
        test: (0..<clients).map { corpus.tokens(of: .test, client: $0, in: splits, terminated: true) },
        publicTokens: corpus.concatenatedTokens(splits.publicReference, terminated: true),
        domainNames: corpus.domainNames,
        validationByDomain: (0..<clients).map { byDomain(corpus, splits.clients[$0][.validation]) },
        testByDomain: (0..<clients).map { byDomain(corpus, splits.clients[$0][.test]) }, entropyRates: entropy)
    } catch let error as RunError {
      throw error
    } catch let error as DataError {
      throw .data(error.description)
    } catch { throw .data("\(error)") }
  }
}
