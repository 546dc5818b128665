import Foundation
import Learning

/// One client's convex objectives on its three splits.
struct ConvexSplits: Sendable {
  let train: ConvexProblem
  let validation: ConvexProblem
  let test: ConvexProblem
}

/// Every client's data of a convex task, generated from the client's own counter-based random
/// stream when first needed — bit-identical to generating the whole population at start — and
/// kept in a bounded cache. A registered client that is never sampled costs nothing, so
/// populations of millions start in no time; sizes come from the scenario, without generating
/// anything.
final class ConvexPopulation: @unchecked Sendable {
  // @unchecked Sendable: the cache is guarded by `lock`; everything else is immutable.
  let source: DataSection.Source
  let data: DataSection
  let clients: Int
  let seed: UInt64
  /// Clients whose splits are kept; others are generated again when needed.
  let capacity: Int
  private let lock = NSLock()
  private var cache: [Int: ConvexSplits] = [:]
  private var order: [Int] = []
  private var oldest = 0

  /// `eager` generates every client now and keeps them all (what FedSim did before; tests use it
  /// to show that on-demand data gives the same results).
  init(source: DataSection.Source, data: DataSection, clients: Int, seed: UInt64, cacheBytes: Int = 64 << 20, eager: Bool = false) {
    self.source = source
    self.data = data
    self.clients = clients
    self.seed = seed
    // About 64 MB of clients' data (features and targets, 8 bytes each).
    let m: Int
    switch source {
    case .decorQuadratic(let d, _): m = d
    case .linear(_, let examples, _, _), .logistic(_, let examples, _, _): m = examples
    default: m = 1
    }
    let perClient = max(1, 8 * m * (Self.dimension(of: source) + 1))
    self.capacity = eager ? clients : max(64, cacheBytes / perClient)
    if eager { for client in 0..<clients { _ = splits(client) } }
  }

  /// Examples of each split of a client, from the scenario alone.
  func counts(_ client: Int) -> (train: Int, validation: Int, test: Int) {
    switch source {
    case .decorQuadratic(let dimension, _): return (dimension, dimension, dimension)  // the whole objective, every split
    case .linear(_, let examples, _, _), .logistic(_, let examples, _, _): return Self.splitCounts(examples, data)
    default: return (0, 0, 0)
    }
  }

  var dimension: Int { Self.dimension(of: source) }

  static func dimension(of source: DataSection.Source) -> Int {
    switch source {
    case .decorQuadratic(let d, _), .linear(let d, _, _, _), .logistic(let d, _, _, _): return d
    default: return 0
    }
  }

  /// Consecutive train / validation / test examples in the data section's proportions; an empty
  /// validation split falls back to the training examples, an empty test split to validation.
  static func splitCounts(_ m: Int, _ data: DataSection) -> (train: Int, validation: Int, test: Int) {
    let (train, validation) = boundaries(m, data)
    let test = m - train - validation
    let validationCount = validation > 0 ? validation : train
    return (train, validationCount, test > 0 ? test : validationCount)
  }

  /// Examples in the training part and in the validation part (possibly 0) of m.
  static func boundaries(_ m: Int, _ data: DataSection) -> (train: Int, validation: Int) {
    let train = max(1, Int((Double(m) * data.trainFraction).rounded()))
    return (train, min(m - train, Int((Double(m) * data.validationFraction).rounded())))
  }

  /// The client's splits, from the cache or generated now.
  func splits(_ client: Int) -> ConvexSplits {
    lock.lock()
    if let hit = cache[client] {
      lock.unlock()
      return hit
    }
    lock.unlock()
    let made = generate(client)
    lock.lock()
    defer { lock.unlock() }
    if cache[client] == nil {
      cache[client] = made
      if order.count < capacity {
        order.append(client)
      } else {
        // First in, first out: regenerating is exact, so which one goes only costs time.
        cache[order[oldest]] = nil
        order[oldest] = client
        oldest = (oldest + 1) % capacity
      }
    }
    return made
  }

  func generate(_ client: Int) -> ConvexSplits {
    switch source {
    case .decorQuadratic(let dimension, let zeta):
      // The user's whole objective: evaluated on the data it trains on.
      let problem = ConvexProblem.decorQuadratic(client: client, clients: clients, dimension: dimension, zeta: zeta, seed: seed)
      return ConvexSplits(train: problem, validation: problem, test: problem)
    case .linear(let dimension, let examples, let noise, let heterogeneity):
      return split(
        .linearSynthetic(client: client, examples: examples, dimension: dimension, noise: noise, heterogeneity: heterogeneity, seed: seed))
    case .logistic(let dimension, let examples, let heterogeneity, let l2):
      return split(
        .logisticSynthetic(client: client, examples: examples, dimension: dimension, heterogeneity: heterogeneity, l2: l2, seed: seed))
    default:
      preconditionFailure("convex populations are built for convex sources only (checked when the run starts)")
    }
  }

  func split(_ problem: ConvexProblem) -> ConvexSplits {
    let d = problem.dimension
    let raw = Self.boundaries(problem.examples, data)
    func slice(_ range: Range<Int>) -> ConvexProblem {
      ConvexProblem(
        features: Array(problem.features[(range.lowerBound * d)..<(range.upperBound * d)]), targets: Array(problem.targets[range]),
        dimension: d, loss: problem.loss, reduction: problem.reduction, l2: problem.l2)
    }
    let train = slice(0..<raw.train)
    let validation = raw.validation > 0 ? slice(raw.train..<(raw.train + raw.validation)) : train
    let testStart = raw.train + raw.validation
    let test = testStart < problem.examples ? slice(testStart..<problem.examples) : validation
    return ConvexSplits(train: train, validation: validation, test: test)
  }
}
