import Foundation
import Learning

/// The three splits of a client's data.
enum ConvexSplit: Int, Sendable, Hashable {
  case train, validation, test
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
  private var cache: [Key: ConvexProblem] = [:]
  private var order: [Key] = []
  /// w* of the linear and logistic sources (computed once, not per client).
  private let truth: [Double]

  /// A client's examples: splits that cover the same rows (an empty validation split falling
  /// back to training, decor-quadratic's single objective) share one entry.
  struct Key: Hashable {
    let client: Int
    let rows: Range<Int>
  }
  private var oldest = 0
  /// Whether every client's splits fit the cache: then each is kept from its first request.
  private let holdsEveryone: Bool
  /// When they do not, a split is kept only on its second request since it was last seen
  /// (TinyLFU's doorkeeper): in a large population most clients are sampled once, and caching
  /// them would only evict the others — and hand every new client cold memory, since freed
  /// entries are recycled long after they left the processor's caches.
  private var doorkeeper = Set<Key>()
  private var doorkeeperOrder: [Key] = []
  private var doorkeeperOldest = 0

  /// `eager` generates every client now and keeps them all (what FedSim did before; tests use it
  /// to show that on-demand data gives the same results).
  init(source: DataSection.Source, data: DataSection, clients: Int, seed: UInt64, cacheBytes: Int = 64 << 20, eager: Bool = false) {
    self.source = source
    self.data = data
    self.clients = clients
    self.seed = seed
    // About 64 MB of clients' data (features twice — row- and column-major — and targets, 8 bytes
    // each; a split counted as a whole client, an overestimate).
    let m: Int
    switch source {
    case .decorQuadratic(let d, _): m = d
    case .linear(_, let examples, _, _), .logistic(_, let examples, _, _): m = examples
    default: m = 1
    }
    let perClient = max(1, 8 * m * (2 * Self.dimension(of: source) + 1))
    self.capacity = eager ? 3 * clients : max(64, cacheBytes / perClient)
    holdsEveryone = capacity >= 3 * clients
    switch source {
    case .linear(let d, _, _, _), .logistic(let d, _, _, _): truth = ConvexProblem.syntheticTruth(dimension: d, seed: seed)
    default: truth = []
    }
    if eager {
      for client in 0..<clients {
        for split in [ConvexSplit.train, .validation, .test] { _ = problem(client, split) }
      }
    }
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

  /// The objective of one split of a client, from the cache or generated now (only that split's
  /// examples: each example has its own stream).
  func problem(_ client: Int, _ split: ConvexSplit) -> ConvexProblem {
    let key = Key(client: client, rows: rows(client, split))
    lock.lock()
    if let hit = cache[key] {
      lock.unlock()
      return hit
    }
    lock.unlock()
    let made = generate(client, rows: key.rows)
    lock.lock()
    defer { lock.unlock() }
    if cache[key] == nil && admits(key) {
      cache[key] = made
      if order.count < capacity {
        order.append(key)
      } else {
        // First in, first out: regenerating is exact, so which one goes only costs time.
        cache[order[oldest]] = nil
        order[oldest] = key
        oldest = (oldest + 1) % capacity
      }
    }
    return made
  }

  /// Splits kept now.
  var cachedSplits: Int {
    lock.lock()
    defer { lock.unlock() }
    return cache.count
  }

  /// Whether a split just generated is kept (called under `lock`): always when everyone fits, on
  /// its second request among the last 4 × capacity first requests otherwise.
  private func admits(_ key: Key) -> Bool {
    if holdsEveryone { return true }
    if doorkeeper.remove(key) != nil { return true }
    doorkeeper.insert(key)
    if doorkeeperOrder.count < 4 * capacity {
      doorkeeperOrder.append(key)
    } else {
      doorkeeper.remove(doorkeeperOrder[doorkeeperOldest])
      doorkeeperOrder[doorkeeperOldest] = key
      doorkeeperOldest = (doorkeeperOldest + 1) % doorkeeperOrder.count
    }
    return false
  }

  /// The examples of a split: consecutive ranges in the data section's proportions; an empty
  /// validation range falls back to the training examples, an empty test range to validation.
  func rows(_ client: Int, _ split: ConvexSplit) -> Range<Int> {
    let m: Int
    switch source {
    case .linear(_, let examples, _, _), .logistic(_, let examples, _, _): m = examples
    default: return 0..<0  // decor-quadratic: one objective for every split
    }
    let (train, validation) = Self.boundaries(m, data)
    let trainRows = 0..<train
    let validationRows = validation > 0 ? train..<(train + validation) : trainRows
    switch split {
    case .train: return trainRows
    case .validation: return validationRows
    case .test: return train + validation < m ? (train + validation)..<m : validationRows
    }
  }

  func generate(_ client: Int, rows: Range<Int>) -> ConvexProblem {
    switch source {
    case .decorQuadratic(let dimension, let zeta):
      // The user's whole objective: evaluated on the data it trains on.
      return ConvexProblem.decorQuadratic(client: client, clients: clients, dimension: dimension, zeta: zeta, seed: seed)
    case .linear(let dimension, _, let noise, let heterogeneity):
      return .linearSynthetic(
        client: client, rows: rows, dimension: dimension, noise: noise, heterogeneity: heterogeneity,
        seed: seed, truth: truth)
    case .logistic(let dimension, _, let heterogeneity, let l2):
      return .logisticSynthetic(
        client: client, rows: rows, dimension: dimension, heterogeneity: heterogeneity, l2: l2,
        seed: seed, truth: truth)
    default:
      preconditionFailure("convex populations are built for convex sources only (checked when the run starts)")
    }
  }
}
